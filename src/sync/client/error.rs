//! What can go wrong in a round, and the words clerk mode shows for it.

use crate::app::AppError;
use crate::installation::InstallationError;
use crate::sync::auth;
use crate::sync::wire::WireError;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("cannot reach the township server at {url}: {detail}")]
    Unreachable { url: String, detail: String },
    #[error("the township server refused the request ({status}): {reason}")]
    Refused { status: u16, reason: String },
    #[error("the township server answered something unreadable: {0}")]
    BadAnswer(String),
    #[error("the answer did not come from the township: {0}; nothing was applied")]
    Unsigned(#[from] auth::AnswerError),
    #[error(
        "no township key: give the key from `jifen township key show` as [sync] township_key in the \
         config or with `jifen sync once --township-key`"
    )]
    NoTownshipKey,
    #[error("refusing plain http:// to {0}: use https://, or set allow_plain_http = true in [sync]")]
    PlainHttp(String),
    #[error("no township URL: set [sync] url in the config file or pass --url")]
    NoUrl,
    #[error(transparent)]
    App(#[from] AppError),
    #[error(transparent)]
    Installation(#[from] InstallationError),
}

impl SyncError {
    /// The words a clerk reads in clerk mode.
    pub fn words(&self) -> String {
        match self {
            SyncError::Unreachable { .. } => "连不上乡镇服务器（网络断开？），数据已保存在本机，恢复后自动上传".into(),
            SyncError::Refused { status: 401, reason } if reason.contains("retired") => {
                "乡镇已停用这台机器，不再同步；请联系乡镇".into()
            }
            SyncError::Refused { status: 401, reason } if reason.contains("stale") => {
                "本机时间与乡镇服务器相差太多，请校准本机时间".into()
            }
            SyncError::Refused { status: 401, .. } => "乡镇服务器不认这台机器，请联系乡镇登记本机".into(),
            SyncError::Refused { reason, .. } => format!("乡镇服务器拒收：{reason}"),
            SyncError::Unsigned(_) => "收到的答复不是乡镇服务器签发的，已拒收（网络可能被人动过手脚）".into(),
            SyncError::NoTownshipKey => "没有设置乡镇服务器的公钥，请联系乡镇".into(),
            SyncError::PlainHttp(_) => "乡镇服务器地址不安全（不是 https），请联系乡镇".into(),
            SyncError::App(AppError::IdNumberKeyMismatch) | SyncError::App(AppError::KioskNumberMismatch { .. }) => {
                "本机与乡镇登记的不一致，请联系乡镇".into()
            }
            SyncError::NoUrl => "没有设置乡镇服务器地址".into(),
            other => format!("同步出错：{other}"),
        }
    }
}

impl From<WireError> for SyncError {
    fn from(e: WireError) -> Self {
        SyncError::BadAnswer(e.0)
    }
}
