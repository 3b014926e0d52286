//! `jifen sync …` and `jifen admin device show`: the kiosk's side of township sync.

use std::process::ExitCode;

use serde::Serialize;

use super::args::SyncCommand;
use super::{emit, open};
use crate::installation::{Config, DataDir};
use crate::sync::{auth, client_options, sync_once, SyncClient, SyncError};

pub(super) fn run(dir: &DataDir, config: &Config, cmd: SyncCommand) -> anyhow::Result<ExitCode> {
    let mut app = open(dir)?;
    match cmd {
        SyncCommand::Once {
            url,
            township_key,
            json,
        } => {
            let outcome = (|| {
                let url = url.or_else(|| config.sync.url.clone()).ok_or(SyncError::NoUrl)?;
                if let Some(bytes) = config.sync.photo_cache_bytes() {
                    app.set_photo_cache_bytes(bytes);
                }
                let options = client_options(&mut app, &config.sync, township_key.as_deref())?;
                let client = SyncClient::new(&url, app.device_signing_key(), &app.village().code, &options)?;
                sync_once(&mut app, &client)
            })();
            let report = match outcome {
                Ok(r) => r,
                Err(e) => {
                    let _ = app.record_sync_outcome(Some(&e.words()));
                    return Err(e.into());
                }
            };
            emit(json, &report, |r| {
                let mut text = format!(
                    "同步完成（本机编号 {}）：上传 {} 条（至第 {} 条），收到 {} 条、采用 {} 条；还有 {} 条待上传\n",
                    r.kiosk_number.map_or("-".to_string(), |n| n.to_string()),
                    r.pushed,
                    r.pushed_through,
                    r.pulled,
                    r.applied,
                    r.events_waiting
                );
                if r.township_restored {
                    text.push_str(&format!(
                        "乡镇服务器曾从备份恢复：已重新上传 {} 条，并重新接收全部数据\n",
                        r.resent
                    ));
                }
                if r.set_aside + r.set_aside_by_township > 0 {
                    text.push_str(&format!(
                        "有 {} 条暂时无法采用（原因见 jifen sync status）\n",
                        r.set_aside + r.set_aside_by_township
                    ));
                }
                text
            })?;
        }
        SyncCommand::Status { json } => {
            let status = app.sync_status()?;
            emit(json, &status, |s| {
                let mut text = format!(
                    "本机编号 {}；待上传 {} 条；上次成功 {}；{}\n",
                    s.kiosk_number.map_or("（还没有）".to_string(), |n| n.to_string()),
                    s.events_waiting,
                    s.last_success.as_deref().unwrap_or("从未"),
                    s.last_error.as_deref().unwrap_or("没有错误")
                );
                if let Some(at) = &s.township_restored {
                    text.push_str(&format!("{at} 发现乡镇服务器从备份恢复过，已补传、补收\n"));
                }
                for q in &s.quarantine {
                    text.push_str(&format!("暂不能采用：{}\n", q.reason));
                }
                text
            })?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Serialize)]
struct DeviceView {
    device_id: String,
    public_key: String,
    village: String,
}

pub(super) fn device_show(dir: &DataDir, json: bool) -> anyhow::Result<()> {
    let app = open(dir)?;
    let key = app.device_signing_key().verifying_key();
    let view = DeviceView {
        device_id: auth::device_id(&key),
        public_key: auth::public_key_text(&key),
        village: app.village().code.clone(),
    };
    emit(json, &view, |v| {
        format!(
            "device id   {}\npublic key  {}\nvillage     {}\n\n在乡镇登记：jifen township device add --village {} --name 名称 --public-key {}\n",
            v.device_id, v.public_key, v.village, v.village, v.public_key
        )
    })
}
