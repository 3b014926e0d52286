//! Photos named on a scoring sheet (its `photos` column): files beside the sheet, read
//! and made ready to keep before anything of the sheet is written, so a sheet with one bad
//! photo changes nothing and says which line and which file.

use std::path::{Component, Path};

use uuid::Uuid;

use super::evidence::{prepare_photos, KeptPhoto, Photo};
use super::imports::PointsPlan;
use super::{AppError, LineError, Result};
use crate::domain::evidence::MAX_PHOTOS_PER_ENTRY;

/// The photo names of a row's `photos` cell: `;`-separated, relative to the sheet.
pub(super) fn parse_photo_names(cell: &str) -> std::result::Result<Vec<String>, String> {
    let names: Vec<String> = cell
        .split(';')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_string)
        .collect();
    if names.len() > MAX_PHOTOS_PER_ENTRY {
        return Err(format!(
            "a row names at most {MAX_PHOTOS_PER_ENTRY} photos, not {}",
            names.len()
        ));
    }
    for n in &names {
        let relative = Path::new(n)
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
        if !relative {
            return Err(format!(
                "photo '{n}' must be a file beside the sheet (no / or .. at its start)"
            ));
        }
    }
    Ok(names)
}

/// Reads and checks every photo the plan's rows name, from the folder of `sheet` (the
/// sheet's path as given). Returns each entry with its recorder and photos.
pub fn load(sheet: &str, plan: &PointsPlan) -> Result<Vec<(Uuid, String, Vec<KeptPhoto>)>> {
    if plan.photos.is_empty() {
        return Ok(Vec::new());
    }
    let folder = Path::new(sheet).parent().unwrap_or(Path::new(""));
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (entry, line, names) in &plan.photos {
        let mut photos = Vec::new();
        for name in names {
            match std::fs::read(folder.join(name)) {
                Ok(bytes) => photos.push(Photo {
                    name: name.clone(),
                    bytes,
                }),
                Err(e) => errors.push(LineError {
                    line: *line,
                    message: format!("photo {name} cannot be read: {e}"),
                }),
            }
        }
        match prepare_photos(&photos) {
            Ok(kept) => {
                let by = plan
                    .entries
                    .iter()
                    .find(|(e, _)| e.id == *entry)
                    .map_or(String::new(), |(e, _)| e.recorded_by.clone());
                out.push((*entry, by, kept));
            }
            Err(AppError::Photo { file, reason }) => errors.push(LineError {
                line: *line,
                message: format!("photo {file}: {reason}"),
            }),
            Err(e) => return Err(e),
        }
    }
    if !errors.is_empty() {
        errors.sort_by_key(|e| e.line);
        return Err(AppError::rejected(sheet, errors));
    }
    Ok(out)
}
