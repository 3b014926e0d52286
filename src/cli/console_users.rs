//! `jifen township user …`: the web console's accounts.

use std::io::Read as _;

use anyhow::Context;

use super::args::TownshipUserCommand;
use super::emit;
use crate::domain::clock::{Clock, SystemClock};
use crate::township::console::{self, NewUser};
use crate::township::TownshipStorage;

pub(super) fn run(township: &dyn TownshipStorage, cmd: TownshipUserCommand) -> anyhow::Result<()> {
    let now = SystemClock.now();
    match cmd {
        TownshipUserCommand::Add {
            name,
            role,
            village,
            grid,
            merchant,
            password_stdin: _,
        } => {
            let mut password = String::new();
            std::io::stdin()
                .read_to_string(&mut password)
                .context("cannot read the password from stdin")?;
            let new = NewUser {
                name,
                role,
                village: village.map(|v| v.to_ascii_uppercase()),
                grid,
                merchant,
                password: password.trim_end_matches(['\r', '\n']).to_string(),
            };
            let user = console::add_user(township, &new, now)?;
            println!("已添加 {}（{}）", user.name, user.role.label());
        }
        TownshipUserCommand::List { json } => {
            let users = console::users(township)?;
            emit(json, &users, |users| {
                users
                    .iter()
                    .map(|u| {
                        format!(
                            "{}  {}{}\n",
                            u.name,
                            u.role.label(),
                            if u.active { "" } else { "（已停用）" }
                        )
                    })
                    .collect()
            })?;
        }
        TownshipUserCommand::Deactivate { name } => {
            console::deactivate(township, &name, "township", now)?;
            println!("已停用 {name}，登录已失效");
        }
    }
    Ok(())
}
