"""Photos of an inspection item or of a micro project's completion: where and when taken, and their files."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import JSON, CheckConstraint, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from .base import utcnow


class Photo(SQLModel, table=True):
    """A photo with where and when it was taken: of one item of an inspection, or of a micro project's
    completion notice (`micro_project_id`, `item_id` "before" / "after" 实施前 / 完成后) — exactly one."""

    __table_args__ = (UniqueConstraint("inspection_id", "item_id", "sha256"),
                      UniqueConstraint("inspection_id", "client_id", name="uq_photo_client"),
                      UniqueConstraint("micro_project_id", "item_id", "sha256", name="uq_photo_micro_sha256"),
                      CheckConstraint("(inspection_id IS NULL) <> (micro_project_id IS NULL)",
                                      name="ck_photo_one_owner"))

    id: Optional[int] = Field(default=None, primary_key=True)
    inspection_id: Optional[int] = Field(default=None, foreign_key="inspection.id", index=True)
    micro_project_id: Optional[int] = Field(default=None, foreign_key="microproject.id", index=True)
    item_id: str = Field(max_length=80)
    caption: Optional[str] = Field(default=None, max_length=200)  # as printed under it (micro: 实施前 / 完成后)
    sha256: str = Field(max_length=64, index=True)
    size_bytes: int
    format: str = Field(max_length=8)
    width: int
    height: int
    original: str = Field(max_length=200)
    display: str = Field(max_length=200)
    thumb: str = Field(max_length=200)
    exif_time: Optional[datetime] = None
    exif_lat: Optional[float] = None
    exif_lon: Optional[float] = None
    device_lat: Optional[float] = None
    device_lon: Optional[float] = None
    device_accuracy_m: Optional[float] = None
    flags: Optional[Any] = Field(default=None, sa_column=Column(JSON, nullable=True))
    by_id: int = Field(foreign_key="user.id")
    at: datetime = Field(default_factory=utcnow)
    # what the phone took and when (docs/photos.md): a resized upload names its original's hash and size
    client_id: Optional[str] = Field(default=None, max_length=64)  # a photo sent twice is stored once
    original_sha256: Optional[str] = Field(default=None, max_length=64)
    original_size: Optional[int] = None
    original_name: Optional[str] = Field(default=None, max_length=200)
    prepared: Optional[str] = Field(default=None, max_length=16)  # "resized" on the phone, or "original"
    captured_at: Optional[datetime] = None  # the device's clock when the photo was taken
    # soft delete and replacement before submission; files stay on disk until the inspection is closed
    deleted_at: Optional[datetime] = None
    deleted_by_id: Optional[int] = Field(default=None, foreign_key="user.id")
    delete_reason: Optional[str] = Field(default=None, max_length=200)
    replaced_by_id: Optional[int] = Field(default=None, foreign_key="photo.id")
    derived_from_id: Optional[int] = Field(default=None, foreign_key="photo.id", index=True)  # a marked-up copy
    purged_at: Optional[datetime] = None  # a deleted photo's files removed after the inspection closed
