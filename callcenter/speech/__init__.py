"""Speech to draft orders: the durable transcription queue, live AudioSocket transcription."""
