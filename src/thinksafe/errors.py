"""One error type for bad input: the CLI prints its message as a single line and exits 2."""


class ThinksafeError(Exception):
    """Bad input or a failed precondition. The message names the file, line or key at fault."""


def located(path: object, message: str, line: int | None = None, key: str | None = None) -> ThinksafeError:
    """Build an error that says where: `path:line: key: message`."""
    where = str(path)
    if line is not None:
        where += f":{line}"
    if key is not None:
        where += f": {key}"
    return ThinksafeError(f"{where}: {message}")
