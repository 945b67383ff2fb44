"""Synchronous Vosk decoding, shared by the thread and process backends (results are plain, picklable data)."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import vosk

from callcenter.asr.text import join_words

FILE_CHUNK_S = 0.2  # files are fed in 200 ms chunks
PARTIAL_EVERY_S = 0.2  # live streams report a partial at most this often (of audio)

WordTuple = tuple[str, float, float, float]  # word, start, end, conf


def load_model(path: Path) -> vosk.Model:
    vosk.SetLogLevel(-1)
    return vosk.Model(str(path))


def _words(result: dict[str, Any]) -> list[WordTuple]:
    if "result" in result:
        return [(w["word"], float(w["start"]), float(w["end"]), float(w.get("conf", 1.0))) for w in result["result"]]
    return [(w, 0.0, 0.0, 0.0) for w in result.get("text", "").split()]  # SetWords off: no timings


class StreamDecoder:
    """One KaldiRecognizer; finals are collected so :meth:`finish` returns the whole stream."""

    def __init__(self, model: vosk.Model, sample_rate: int) -> None:
        self.sample_rate = sample_rate
        self.recognizer = vosk.KaldiRecognizer(model, sample_rate)
        self.recognizer.SetWords(True)
        self.words: list[WordTuple] = []
        self.audio_bytes = 0
        self.decode_s = 0.0
        self._since_partial = 0
        self._last_partial = ""

    def feed(self, pcm: bytes, *, partials: bool = True) -> list[tuple[str, str, list[WordTuple]]]:
        """Returns ("final"|"partial", text, words) events; partials only when they change."""
        started = time.perf_counter()
        events: list[tuple[str, str, list[WordTuple]]] = []
        self.audio_bytes += len(pcm)
        if self.recognizer.AcceptWaveform(pcm):
            words = _words(json.loads(self.recognizer.Result()))
            if words:
                self.words.extend(words)
                events.append(("final", join_words(w[0] for w in words), words))
            self._last_partial, self._since_partial = "", 0
        elif partials:
            self._since_partial += len(pcm)
            if self._since_partial >= PARTIAL_EVERY_S * self.sample_rate * 2:
                self._since_partial = 0
                text = join_words(json.loads(self.recognizer.PartialResult()).get("partial", "").split())
                if text and text != self._last_partial:
                    self._last_partial = text
                    events.append(("partial", text, []))
        self.decode_s += time.perf_counter() - started
        return events

    def finish(self) -> dict[str, Any]:
        started = time.perf_counter()
        tail = _words(json.loads(self.recognizer.FinalResult()))
        self.words.extend(tail)
        self.decode_s += time.perf_counter() - started
        return {
            "text": join_words(w[0] for w in self.words),
            "words": list(self.words),
            "tail_words": tail,
            "duration_s": self.audio_bytes / 2 / self.sample_rate,
            "decode_s": self.decode_s,
        }


class DecodeAborted(Exception):
    """The service is stopping: a decode in a thread gives up between two chunks."""


def decode_pcm(model: vosk.Model, pcm: bytes, sample_rate: int,
               stop: threading.Event | None = None) -> dict[str, Any]:
    """Whole-buffer decode in 200 ms chunks; ``stop`` set aborts it at the next chunk (a thread
    cannot be killed, and the interpreter waits for it at exit: a long recording took minutes)."""
    stream = StreamDecoder(model, sample_rate)
    step = int(FILE_CHUNK_S * sample_rate) * 2
    for offset in range(0, len(pcm), step):
        if stop is not None and stop.is_set():
            raise DecodeAborted("the service is stopping")
        stream.feed(pcm[offset : offset + step], partials=False)
    return stream.finish()
