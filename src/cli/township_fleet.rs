//! `jifen township device|key|backup|restore|catalogue`: the village's kiosks as a fleet.

use std::fmt::Write as _;

use anyhow::{bail, Context};
use serde::Serialize;

use super::args::*;
use super::emit;
use crate::store::DeviceRow;
use crate::township::{SqliteTownship, TownshipStorage};

pub(super) fn device(township: &dyn TownshipStorage, cmd: TownshipDeviceCommand) -> anyhow::Result<()> {
    match cmd {
        TownshipDeviceCommand::Add {
            village,
            name,
            public_key,
            number,
            json,
        } => {
            let d = township.add_device(&village.to_ascii_uppercase(), &name, &public_key, number)?;
            let view = DeviceView::new(township, &d)?;
            emit(json, &view, |d| {
                format!(
                    "已登记设备 {}（{}，{}村，编号 {}）；它的兑换券号以 {}-{}- 开头\n",
                    d.id, d.name, d.village, d.number, d.village, d.number
                )
            })
        }
        TownshipDeviceCommand::Retire {
            village,
            device,
            reason,
        } => {
            let d = township.retire_device(&village.to_ascii_uppercase(), device.trim(), &reason)?;
            println!(
                "已停用设备 {}（{}，编号 {}）：它再也不能同步；它停用前开出的兑换券照常核销",
                d.id, d.name, d.number
            );
            Ok(())
        }
        TownshipDeviceCommand::List { json } => {
            let list = township
                .devices()?
                .iter()
                .map(|d| DeviceView::new(township, d))
                .collect::<anyhow::Result<Vec<_>>>()?;
            emit(json, &list, |l| {
                let mut s = String::new();
                for d in l {
                    let _ = writeln!(
                        s,
                        "{} {:>3}  {}  {}  最近联系 {}  待上传 {}{}",
                        d.village,
                        d.number,
                        d.id,
                        d.name,
                        d.last_contact.as_deref().unwrap_or("从未"),
                        d.events_waiting,
                        match (&d.retired_at, &d.retired_reason) {
                            (Some(at), Some(why)) => format!("  已停用（{at}，{why}）"),
                            _ => String::new(),
                        }
                    );
                }
                s
            })
        }
    }
}

pub(super) fn key(township: &dyn TownshipStorage, cmd: TownshipKeyCommand) -> anyhow::Result<()> {
    let TownshipKeyCommand::Show { json } = cmd;
    let key = township.township_key()?.verifying_key();
    let view = KeyView {
        public_key: crate::domain::kiosk::public_key_text(&key),
    };
    emit(json, &view, |v| {
        format!(
            "乡镇公钥 {}\n\n每台一体机登记时配置：[sync] township_key = \"{}\"（或 jifen sync once --township-key …）\n",
            v.public_key, v.public_key
        )
    })
}

pub(super) fn catalogue(township: &dyn TownshipStorage, cmd: TownshipCatalogueCommand) -> anyhow::Result<()> {
    let TownshipCatalogueCommand::Restock {
        village,
        device,
        code,
        add,
        by,
        json,
    } = cmd;
    let item = township.restock(&village.to_ascii_uppercase(), device.trim(), &code, add, &by)?;
    emit(json, &item, |i| {
        format!(
            "{} 已放到 {} 的货架 {add} 份，那里现有 {}\n",
            i.name,
            device.trim(),
            i.stock.unwrap_or(0)
        )
    })
}

/// `township backup`: SQLite only (PostgreSQL has pg_dump).
pub(super) fn backup(sqlite: Option<&SqliteTownship>, out: &std::path::Path) -> anyhow::Result<()> {
    let Some(t) = sqlite else {
        bail!("on PostgreSQL back up with pg_dump (see the README); `township backup` is for the SQLite engine");
    };
    let report = t.backup(out)?;
    println!(
        "已备份乡镇数据库和 {} 个村到 {}（可在服务运行时进行）",
        report.villages,
        out.display()
    );
    Ok(())
}

/// `township restore`: SQLite from a backup folder; PostgreSQL after `pg_restore`.
pub(super) fn restore(
    args: &TownshipArgs,
    township: Option<&dyn TownshipStorage>,
    from: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    match (&args.db, from, township) {
        (Some(db), Some(from), _) => {
            let kept = SqliteTownship::restore(from, db).context("cannot restore the backup")?;
            println!(
                "已从 {} 恢复；原来的数据移到了 {}。各村的数据流换了新的代号：一体机下次同步时会补传乡镇缺的记录并重新接收",
                from.display(),
                kept.display()
            );
            Ok(())
        }
        (Some(_), None, _) => bail!("name the backup folder: township restore --from DIR"),
        (None, None, Some(t)) => {
            t.mark_restored()?;
            println!("已记下数据库从备份恢复：一体机下次同步时会补传乡镇缺的记录并重新接收");
            Ok(())
        }
        (None, Some(_), _) => {
            bail!("on PostgreSQL restore with pg_restore (see the README), then run `township restore` without --from")
        }
        (None, None, None) => bail!("name the township database with --db or --database-url"),
    }
}

#[derive(Serialize)]
struct KeyView {
    public_key: String,
}

#[derive(Serialize)]
struct DeviceView {
    id: String,
    village: String,
    name: String,
    number: u32,
    public_key: String,
    last_contact: Option<String>,
    /// Events in its outbox at its last contact that the township does not hold yet.
    events_waiting: i64,
    retired_at: Option<String>,
    retired_reason: Option<String>,
}

impl DeviceView {
    fn new(township: &dyn TownshipStorage, d: &DeviceRow) -> anyhow::Result<DeviceView> {
        let acked = township.acked_through(&d.village, &d.id)?;
        Ok(DeviceView {
            id: d.id.clone(),
            village: d.village.clone(),
            name: d.name.clone(),
            number: d.number,
            public_key: d.public_key.clone(),
            last_contact: d.last_seen.map(crate::domain::clock::china_time_text),
            events_waiting: (d.outbox_last - acked).max(0),
            retired_at: d
                .retired
                .as_ref()
                .map(|(at, _)| crate::domain::clock::china_time_text(*at)),
            retired_reason: d.retired.as_ref().map(|(_, why)| why.clone()),
        })
    }
}
