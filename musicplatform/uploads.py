"""What no upload may carry, whatever it claims to be: a web page or a script inside it.

A polyglot (a real GIF, MP3 or PDF with an HTML page in it) passes every check of its
format, and a browser that sniffs content may run it as a page of our site. Real
pictures, audio, video and documents have no reason to hold one, so any upload that
does is refused. The markers are long enough (a tag name and what follows it) that
compressed data hits them by chance about once in ten thousand 200 MB files.
"""

import re

MARKUP_MESSAGE = "“{name}” has a web page or script hidden inside it, so it cannot be used."

MARKUP = re.compile(rb"<(?:script|html|body|iframe|!doctype\s+html)[\s>/]", re.IGNORECASE)
# A marker cut by a chunk boundary is found in the overlap with the next chunk.
_OVERLAP = 32


def has_markup(data: bytes) -> bool:
    return MARKUP.search(data) is not None


def upload_has_markup(upload) -> bool:
    """The whole upload scanned chunk by chunk, so a large file is never read at once."""
    upload.seek(0)
    tail = b""
    for chunk in upload.chunks():
        if has_markup(tail + chunk):
            upload.seek(0)
            return True
        tail = chunk[-_OVERLAP:]
    upload.seek(0)
    return False
