//! What the worker remembers between commands: the clerk's session and which commands
//! need it, the villager at the screen, and the calls for help.

use crate::ui::lang::{tr, trf};

use super::protocol::Command;

/// A clerk command and the session it needs: the worker, not the screen, decides
/// whether clerk mode is unlocked (a screen bug, or a stray message, cannot restock).
pub(super) fn needs_clerk(command: &Command) -> bool {
    matches!(
        command,
        Command::ClerkData
            | Command::Restock { .. }
            | Command::SetActive { .. }
            | Command::Reprint(_)
            | Command::Settle { .. }
            | Command::PrintSlip { .. }
            | Command::TestPage
            | Command::Statement(_)
            | Command::SaveVoice(_)
            | Command::ProxyOpen(_)
            | Command::ProxyRedeem { .. }
            | Command::ProxyDelivered(_)
    )
}

/// An unlocked clerk mode: who, and until when (two minutes after their last command).
pub(super) struct ClerkSession {
    pub(super) name: String,
    pub(super) until: chrono::DateTime<chrono::Utc>,
    /// 代兑换: the card read for the household the clerk redeems for, until it is used.
    pub(super) proxy_for: Option<crate::app::Identity>,
}

/// How long clerk mode stays unlocked without a command (the screen locks itself at the
/// same time).
pub(super) const CLERK_SESSION: chrono::Duration = chrono::Duration::seconds(120);

/// What the worker remembers of the villager at the screen, so that a command can act only
/// for the household whose card was read, and only on the voucher it was just given.
#[derive(Default)]
pub(super) struct Villager {
    pub(super) household: Option<String>,
    pub(super) unverified: Option<String>,
    /// The voucher just issued that did not print: the printer is watched for it.
    pub(super) kept: Option<String>,
}

/// The villagers' calls for help, newest last, for clerk mode (the last few only): the time
/// and the screen's name, put in words when clerk mode shows them (in its language then).
#[derive(Default)]
pub(super) struct HelpCalls(Vec<(String, String)>);

impl HelpCalls {
    const KEPT: usize = 5;

    pub(super) fn note(&mut self, at: chrono::DateTime<chrono::Utc>, screen: &str) {
        let time = crate::domain::clock::china_time_text(at);
        let hm = time.get(11..16).unwrap_or(&time).to_string();
        if self.0.len() == Self::KEPT {
            self.0.remove(0);
        }
        self.0.push((hm, screen.to_string()));
    }

    pub(super) fn words(&self) -> Option<String> {
        let calls: Vec<String> = self
            .0
            .iter()
            .map(|(hm, screen)| trf("{} 在{}", &[hm, &tr(screen)]))
            .collect();
        (!calls.is_empty()).then(|| trf("村民叫过工作人员帮忙：{}", &[&calls.join(&tr("、"))]))
    }
}
