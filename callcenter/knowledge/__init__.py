"""The knowledge base (知识库): articles agents search while a caller is on the line, so that
consultations (咨询) the base covers are answered at once (即时答复) instead of dispatched."""
