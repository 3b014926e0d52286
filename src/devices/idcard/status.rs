//! The status byte SW3 of a reader's reply, in words a clerk can act on.

/// SW3 values of GA/T 467 readers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    NoContent,
    CardFound,
    ChecksumError,
    LengthError,
    CommandError,
    Unauthorised,
    UnrecognisedError,
    CardAuthenticationFailed,
    ReaderAuthenticationFailed,
    InformationVerificationFailed,
    FingerprintVerificationFailed,
    InformationLengthError,
    UnknownCardType,
    ReadFailed,
    RandomNumberFailed,
    SamSelfTestFailed,
    SamNotAuthorised,
    FindFailed,
    SelectFailed,
    CommunicationFault,
    Other(u8),
}

impl Status {
    pub fn from_sw3(sw3: u8) -> Status {
        match sw3 {
            0x90 => Status::Ok,
            0x91 => Status::NoContent,
            0x9F => Status::CardFound,
            0x10 => Status::ChecksumError,
            0x11 => Status::LengthError,
            0x21 => Status::CommandError,
            0x23 => Status::Unauthorised,
            0x24 => Status::UnrecognisedError,
            0x31 => Status::CardAuthenticationFailed,
            0x32 => Status::ReaderAuthenticationFailed,
            0x33 => Status::InformationVerificationFailed,
            0x37 => Status::FingerprintVerificationFailed,
            0x3F => Status::InformationLengthError,
            0x40 => Status::UnknownCardType,
            0x41 => Status::ReadFailed,
            0x47 => Status::RandomNumberFailed,
            0x60 => Status::SamSelfTestFailed,
            0x66 => Status::SamNotAuthorised,
            0x80 => Status::FindFailed,
            0x81 => Status::SelectFailed,
            0xFF => Status::CommunicationFault,
            other => Status::Other(other),
        }
    }

    pub fn is_success(self) -> bool {
        matches!(self, Status::Ok | Status::CardFound | Status::NoContent)
    }

    /// What the clerk's status screen says (the villager sees "请重新放卡" or "请到窗口").
    pub fn describe(self) -> String {
        match self {
            Status::Ok => "操作成功".into(),
            Status::NoContent => "没有内容".into(),
            Status::CardFound => "找到身份证".into(),
            Status::ChecksumError => "读卡器收到的数据校验和错误".into(),
            Status::LengthError => "读卡器收到的数据长度错误".into(),
            Status::CommandError => "读卡器不认识这条命令".into(),
            Status::Unauthorised => "越权操作".into(),
            Status::UnrecognisedError => "读卡器报告无法识别的错误".into(),
            Status::CardAuthenticationFailed => "身份证认证读卡器失败".into(),
            Status::ReaderAuthenticationFailed => "读卡器认证身份证失败，请重新放卡".into(),
            Status::InformationVerificationFailed => "身份证信息验证错误".into(),
            Status::FingerprintVerificationFailed => "指纹信息验证错误".into(),
            Status::InformationLengthError => "身份证信息长度错误".into(),
            Status::UnknownCardType => "无法识别的卡，请放第二代身份证".into(),
            Status::ReadFailed => "读身份证失败，请重新放卡".into(),
            Status::RandomNumberFailed => "取随机数失败".into(),
            Status::SamSelfTestFailed => "读卡器安全模块自检失败，请联系管理员".into(),
            Status::SamNotAuthorised => "读卡器安全模块未授权，请联系管理员".into(),
            Status::FindFailed => "没有找到身份证".into(),
            Status::SelectFailed => "选取身份证失败，请重新放卡".into(),
            Status::CommunicationFault => "读卡器通信故障".into(),
            Status::Other(b) => format!("读卡器返回未知状态 {b:02X}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_status_code_is_named_and_unknown_ones_are_kept() {
        let named = [
            0x90, 0x91, 0x9F, 0x10, 0x11, 0x21, 0x23, 0x24, 0x31, 0x32, 0x33, 0x37, 0x3F, 0x40, 0x41, 0x47, 0x60, 0x66,
            0x80, 0x81, 0xFF,
        ];
        for b in named {
            assert!(!matches!(Status::from_sw3(b), Status::Other(_)), "{b:02X}");
            assert!(!Status::from_sw3(b).describe().is_empty());
        }
        assert_eq!(Status::from_sw3(0x55), Status::Other(0x55));
        assert_eq!(Status::from_sw3(0x55).describe(), "读卡器返回未知状态 55");
        assert!(Status::from_sw3(0x9F).is_success());
        assert!(!Status::from_sw3(0x80).is_success());
        assert_eq!(Status::from_sw3(0x41), Status::ReadFailed);
    }
}
