//! `jifen admin catalogue …`: items, their pictures and stock at this kiosk.

use std::path::Path;

use anyhow::bail;

use super::admin::read_file;
use super::args::*;
use super::{emit, open, text};
use crate::app::{ItemChanges, NewItem, PictureChange};
use crate::domain::catalogue::Stock;
use crate::installation::DataDir;

pub(super) fn catalogue(dir: &DataDir, by: &str, cmd: CatalogueCommand) -> anyhow::Result<()> {
    let mut app = open(dir)?;
    match cmd {
        CatalogueCommand::Add {
            code,
            name,
            points,
            stock,
            unlimited,
            merchant,
            sponsor,
            cost,
            valid_days,
            picture,
            json,
        } => {
            // The cost is checked before the item is added, so a wrong one adds nothing.
            if let Some(cost) = &cost {
                app.check_item_cost(sponsor.as_deref(), cost)?;
            }
            let file = picture;
            let picture = file.as_deref().map(read_file).transpose()?;
            let stock = match (stock, unlimited) {
                (_, true) => Stock::Unlimited,
                (Some(n), false) => Stock::Limited(n),
                (None, false) => bail!("give --stock N or --unlimited"),
            };
            let item = app
                .add_item(NewItem {
                    code,
                    name,
                    points_cost: points,
                    stock,
                    merchant,
                    sponsor,
                    valid_days,
                    picture,
                })
                .map_err(|e| picture_context(e, file.as_deref()))?;
            let item = match &cost {
                Some(cost) => app.set_item_cost(&item.code, Some(cost), by)?,
                None => item,
            };
            emit(json, &item, |i| text::items(std::slice::from_ref(i)))?;
        }
        CatalogueCommand::Edit {
            code,
            name,
            points,
            merchant,
            sponsor,
            cost,
            no_cost,
            valid_days,
            deactivate,
            activate,
            picture,
            no_picture,
            json,
        } => {
            let file = picture.clone();
            let picture = match (picture, no_picture) {
                (Some(file), _) => Some(PictureChange::Set(read_file(&file)?)),
                (None, true) => Some(PictureChange::Remove),
                (None, false) => None,
            };
            let active = match (activate, deactivate) {
                (true, _) => Some(true),
                (_, true) => Some(false),
                _ => None,
            };
            let changes = ItemChanges {
                name,
                points_cost: points,
                merchant,
                sponsor,
                valid_days,
                active,
                picture,
            };
            let item = app
                .edit_item(&code, changes, by)
                .map_err(|e| picture_context(e, file.as_deref()))?;
            let item = match (&cost, no_cost) {
                (Some(cost), _) => app.set_item_cost(&code, Some(cost), by)?,
                (None, true) => app.set_item_cost(&code, None, by)?,
                (None, false) => item,
            };
            emit(json, &item, |i| text::items(std::slice::from_ref(i)))?;
        }
        CatalogueCommand::Restock { code, add, json } => {
            let item = app.restock(&code, add, by)?;
            emit(json, &item, |i| text::items(std::slice::from_ref(i)))?;
        }
        CatalogueCommand::List { json } => {
            let items = app.catalogue()?;
            emit(json, &items, |i| text::items(i))?;
        }
    }
    Ok(())
}

/// A refused picture named by its file, so the clerk knows which one to fix.
fn picture_context(e: crate::app::AppError, file: Option<&Path>) -> anyhow::Error {
    match (&e, file) {
        (crate::app::AppError::Picture(_), Some(file)) => {
            anyhow::anyhow!("{}: {e}; nothing was changed", file.display())
        }
        _ => e.into(),
    }
}
