//! The simulated villages and kiosks every township bench builds: a kiosk with its
//! households and scores, its registration at the township, its sync client, and the
//! households file and scoring sheet they are made from.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;

use super::scratch::bench_id_number;
use crate::app::{App, Village};
use crate::domain::clock::Clock;
use crate::installation::DataDir;
use crate::sync::{auth, ClientOptions, SyncClient};
use crate::township::TownshipStorage;

/// Rule codes the generated sheets use (all in the standard set).
const RULES: [&str; 5] = ["B01", "B03", "B16", "D16", "B20"];

/// A kiosk of its own village with `households` households and `entries` scores waiting.
pub(super) fn village_kiosk(
    root: &std::path::Path,
    code: &str,
    households: usize,
    entries: usize,
    clock: &Arc<dyn Clock>,
) -> anyhow::Result<(App, DataDir)> {
    let (mut app, dir) = new_kiosk(root, code, clock)?;
    app.import_households("households.csv", households_csv(code, households).as_bytes(), false)?;
    app.import_points("sheet.csv", points_csv(code, households, entries).as_bytes(), false)?;
    Ok((app, dir))
}

pub(super) fn new_kiosk(root: &std::path::Path, code: &str, clock: &Arc<dyn Clock>) -> anyhow::Result<(App, DataDir)> {
    let dir = DataDir {
        root: root.join("kiosks").join(code),
    };
    let app = App::init(
        &dir,
        Village {
            code: code.into(),
            name: format!("{code}村"),
        },
        clock.clone(),
    )
    .with_context(|| format!("cannot create kiosk {code}"))?;
    Ok((app, dir))
}

/// Registers a kiosk's village at the township the way a village that began with a kiosk
/// joins: with the kiosk's ID-number key, and its households imported at the township
/// from the same file (a kiosk may not register households itself).
pub(super) fn register(
    township: &dyn TownshipStorage,
    code: &str,
    app: &mut App,
    households: usize,
) -> anyhow::Result<()> {
    township.add_village(code, &format!("{code}村"), Some(app.id_number_secret()?))?;
    township.import_households(code, "households.csv", households_csv(code, households).as_bytes())?;
    let key = auth::public_key_text(&app.device_signing_key().verifying_key());
    township.add_device(code, "大厅", &key, None)?;
    Ok(())
}

pub(super) fn kiosk_client(url: &str, app: &App, township: ed25519_dalek::VerifyingKey) -> anyhow::Result<SyncClient> {
    let options = ClientOptions {
        timeout: Duration::from_secs(120),
        township_key: township,
        allow_plain_http: false,
    };
    Ok(SyncClient::new(
        url,
        app.device_signing_key(),
        &app.village().code,
        &options,
    )?)
}

pub(super) fn households_csv(code: &str, n: usize) -> String {
    let mut csv = String::from("household_code,grid,name,id_number,role,qr_token\n");
    for h in 0..n {
        csv.push_str(&format!(
            "{code}-{h:05},{},户主{h},{},head,\n",
            h % 5 + 1,
            bench_id_number(h)
        ));
    }
    csv
}

/// `entries` scoring rows over the households: every (month, rule) pair once per household.
pub(super) fn points_csv(code: &str, households: usize, entries: usize) -> String {
    let mut csv = String::from("month,household_code,rule_code,points,note,recorded_by\n");
    let months: Vec<String> = (0..48)
        .map(|i| format!("{}-{:02}", 2022 + i / 12, i % 12 + 1))
        .collect();
    let mut written = 0;
    'outer: for month in &months {
        for rule in RULES {
            for h in 0..households {
                if written == entries {
                    break 'outer;
                }
                csv.push_str(&format!("{month},{code}-{h:05},{rule},,,网格员\n"));
                written += 1;
            }
        }
    }
    csv
}
