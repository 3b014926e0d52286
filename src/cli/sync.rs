//! `jifen sync …` and `jifen admin device show`: the kiosk's side of township sync.

use std::process::ExitCode;
use std::time::Duration;

use serde::Serialize;

use super::args::SyncCommand;
use super::{emit, open};
use crate::installation::{Config, DataDir};
use crate::sync::{auth, sync_once, SyncClient};

pub(super) fn run(dir: &DataDir, config: &Config, cmd: SyncCommand) -> anyhow::Result<ExitCode> {
    let mut app = open(dir)?;
    match cmd {
        SyncCommand::Once { url, json } => {
            let Some(url) = url.or_else(|| config.sync.url.clone()) else {
                return Err(crate::sync::SyncError::NoUrl.into());
            };
            let client = SyncClient::new(
                &url,
                app.device_signing_key(),
                &app.village().code,
                Duration::from_secs(30),
            );
            let report = sync_once(&mut app, dir, &client)?;
            emit(json, &report, |r| {
                format!(
                    "同步完成：上传 {} 条（至第 {} 条），收到 {} 条、采用 {} 条；还有 {} 条待上传\n",
                    r.pushed, r.pushed_through, r.pulled, r.applied, r.events_waiting
                )
            })?;
        }
        SyncCommand::Status { json } => {
            let status = app.sync_status()?;
            emit(json, &status, |s| {
                format!(
                    "待上传 {} 条；上次成功 {}；{}\n",
                    s.events_waiting,
                    s.last_success.as_deref().unwrap_or("从未"),
                    s.last_error.as_deref().unwrap_or("没有错误")
                )
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
