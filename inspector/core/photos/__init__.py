"""Photo pipeline: validate an upload, keep the original, write a watermarked display copy and a thumbnail.

Pure Python over Pillow and pillow-heif; no Flask, no database. Files are content-addressed
under `media_root` and published atomically, so a rejected or failed upload leaves no file behind.

- `decoding`: a whole image of an allowed format and sane size, upright at display size;
- `exif`: orientation, capture time and position as the photo claims them;
- `render`: the watermark burned into the display copy, its font, JPEG encoding;
- `store`: the three files under their content-addressed paths, print copies.
"""
from .decoding import CORRUPT, EXTENSIONS, UNKNOWN, PhotoError
from .render import Watermark, watermark_font
from .store import Oversized, StoredPhoto, Upload, ingest, print_copy, read_upload, remove

__all__ = ["CORRUPT", "EXTENSIONS", "UNKNOWN", "Oversized", "PhotoError", "StoredPhoto", "Upload", "Watermark", "ingest",
           "print_copy", "read_upload", "remove", "watermark_font"]
