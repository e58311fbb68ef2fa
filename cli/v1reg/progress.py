"""One progress bar per layer on a terminal; silent otherwise (or with --quiet)."""
import threading
import time

WIDTH = 30


class Progress:
    def __init__(self, stream, enabled: bool):
        self.stream, self.enabled = stream, enabled
        self.bars: dict[str, list] = {}     # label -> [done, total]
        self.lock = threading.Lock()
        self.drawn = 0
        self.last = 0.0

    def bar(self, label: str, total: int):
        """A callback taking the number of new bytes; `reset()` starts it over."""
        if not self.enabled:
            return _Bar(lambda: None, [0, total])
        with self.lock:
            state = self.bars.setdefault(label, [0, total])
            state[:] = [0, total]
        return _Bar(self._draw, state)

    def _draw(self, force: bool = False) -> None:
        with self.lock:
            now = time.monotonic()
            if not force and now - self.last < 0.1:
                return
            self.last = now
            lines = [_line(label, *state) for label, state in self.bars.items()]
            up = f"\x1b[{self.drawn}F" if self.drawn else ""
            self.stream.write(up + "".join(f"\x1b[2K{line}\n" for line in lines))
            self.stream.flush()
            self.drawn = len(lines)

    def finish(self) -> None:
        if self.enabled and self.bars:
            self._draw(force=True)


class _Bar:
    def __init__(self, draw, state):
        self.draw, self.state = draw, state

    def __call__(self, count: int) -> None:
        self.state[0] += count
        self.draw()

    def reset(self, done: int = 0) -> None:
        self.state[0] = done


def _line(label: str, done: int, total: int) -> str:
    filled = WIDTH * done // total if total else WIDTH
    return f"{label[:12]}: [{'=' * filled}{' ' * (WIDTH - filled)}] {_size(done)}/{_size(total)}"


def _size(count: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if count < 1024 or unit == "GiB":
            return f"{count:.1f} {unit}" if unit != "B" else f"{count} B"
        count /= 1024
