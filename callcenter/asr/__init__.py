"""Offline speech recognition with Vosk: model discovery/verification, WAV handling, the engine, the CLI.

Public entry points: :class:`callcenter.asr.engine.AsrEngine` (``load``, ``transcribe_file``,
``transcribe_pcm``, ``open_stream``), :func:`callcenter.asr.models.find_model`,
:func:`callcenter.asr.models.models_command` and :func:`callcenter.asr.transcribe.transcribe_command`.
Importing this package does not import vosk; the engine modules do.
"""
