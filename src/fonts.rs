//! The CJK font compiled into the binary: Noto Sans SC (SIL OFL 1.1), regular and bold,
//! cut down to the 通用规范汉字表 and GB 2312 by `tools/subset-font.sh`. A village-hall box
//! has no CJK font of its own, and neither has many an office PC's browser, so the printer
//! draws vouchers with it and the web console serves it; a leaf, so both may name it.

pub const REGULAR_OTF: &[u8] = include_bytes!("../assets/fonts/NotoSansSC-Regular.otf");
pub const BOLD_OTF: &[u8] = include_bytes!("../assets/fonts/NotoSansSC-Bold.otf");
