//! `jifen admin export`: CSV files a clerk can open in a spreadsheet.

use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::app::export::ExportData;

pub(super) fn write(dir: &Path, data: &ExportData) -> anyhow::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let households = dir.join("households.csv");
    let mut w = writer(&households)?;
    w.write_record(["household_code", "grid", "balance", "name", "role", "id_last4"])?;
    for (h, members) in &data.households {
        for m in members {
            let balance = h.balance.to_string();
            w.write_record([&h.code, &h.grid, &balance, &m.name, m.role.key(), &m.id_last4])?;
        }
    }
    w.flush()?;

    let ledger = dir.join("ledger.csv");
    let mut w = writer(&ledger)?;
    w.write_record([
        "id",
        "household_code",
        "month",
        "delta",
        "kind",
        "rule_code",
        "reason",
        "source",
        "recorded_by",
        "created_at",
        "corrects",
    ])?;
    for e in &data.entries {
        w.write_record([
            e.id.to_string(),
            e.household.clone(),
            e.month.to_string(),
            e.delta.to_string(),
            e.kind.key().to_string(),
            e.rule_code.clone().unwrap_or_default(),
            e.reason.clone(),
            e.source.clone(),
            e.recorded_by.clone(),
            e.created_at.to_rfc3339(),
            e.corrects.map(|c| c.to_string()).unwrap_or_default(),
        ])?;
    }
    w.flush()?;

    let vouchers = dir.join("vouchers.csv");
    let mut w = writer(&vouchers)?;
    w.write_record([
        "serial",
        "household_code",
        "item_code",
        "item_name",
        "qty",
        "points",
        "status",
        "issued_at",
        "expires_on",
        "settled_at",
        "settled_merchant",
        "void_reason",
    ])?;
    for v in &data.vouchers {
        w.write_record([
            v.serial.clone(),
            v.household_code.clone(),
            v.item_code.clone(),
            v.item_name.clone(),
            v.qty.to_string(),
            v.points.to_string(),
            v.status.to_string(),
            v.issued_at.clone(),
            v.expires_on.clone(),
            v.settled_at.clone().unwrap_or_default(),
            v.settled_merchant.clone().unwrap_or_default(),
            v.void_reason.clone().unwrap_or_default(),
        ])?;
    }
    w.flush()?;
    Ok(vec![households, ledger, vouchers])
}

fn writer(path: &Path) -> anyhow::Result<csv::Writer<std::fs::File>> {
    csv::Writer::from_path(path).with_context(|| format!("cannot write {}", path.display()))
}
