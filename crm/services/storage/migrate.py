"""Moving every stored file from one backend to the other (`flask crm storage migrate`).

Each file is copied, checked by size, committed, and only then removed from the source, one file per
transaction: an interrupted move leaves every file readable in one place or the other, and running it
again finishes the job (a file already at the target with the same size is not copied twice).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Optional

from crm.extensions import db
from crm.services import ServiceError
from crm.services.storage.store import AREAS, BACKENDS, get_store


@dataclass
class MoveResult:
    moved: dict[str, int] = field(default_factory=dict)
    bytes: int = 0


def migrate_files(target: str, progress: Optional[Callable[[str, str], None]] = None) -> MoveResult:
    """Move the files of every area to the target backend ('filesystem' or 'database')."""
    if target not in BACKENDS:
        raise ServiceError(f"未知的文件存储方式：{target}（可选：filesystem、database）")
    source_name = "filesystem" if target == "database" else "database"
    result = MoveResult()
    for area in AREAS:
        source, dest = get_store(area, source_name), get_store(area, target)
        count = 0
        for key in list(source.keys()):
            size = source.size(key)
            if dest.size(key) != size:
                stream = source.open(key)
                if stream is None:
                    continue
                with stream:
                    written = dest.write(key, stream)
                if written != size:
                    db.session.rollback()
                    raise ServiceError(f"文件 {area}/{key} 复制后大小不一致（{written} ≠ {size}），已停止")
                result.bytes += written
            db.session.commit()
            source.delete(key)
            db.session.commit()
            count += 1
            if progress:
                progress(area, key)
        result.moved[area] = count
    return result
