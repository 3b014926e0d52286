//! The real binary's `jifen township …` commands on the engine the tests run on, and
//! `township serve` on loopback.

use std::ffi::OsString;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

use jifen::store::pg::ScratchDatabase;

use super::{id_number, jifen, json, stderr};

/// The engine every command names: `--db PATH` (SQLite), or `--database-url` with a
/// scratch database when `JIFEN_TEST_DATABASE_URL` names a PostgreSQL server.
pub struct Engine {
    pub flag: &'static str,
    pub value: OsString,
    _scratch: Option<ScratchDatabase>,
}

pub fn engine(dir: &Path) -> Engine {
    match std::env::var(super::township::POSTGRES_ENV) {
        Ok(admin) => {
            let scratch = ScratchDatabase::create(&admin, "jifen_test").unwrap();
            Engine {
                flag: "--database-url",
                value: scratch.url.clone().into(),
                _scratch: Some(scratch),
            }
        }
        Err(_) => Engine {
            flag: "--db",
            value: dir.join("township.sqlite3").into(),
            _scratch: None,
        },
    }
}

pub fn township(db: &Engine, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_jifen"))
        .arg("township")
        .arg(db.flag)
        .arg(&db.value)
        .args(args)
        .output()
        .unwrap()
}

pub struct Server(pub Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `township serve --listen 127.0.0.1:0`, returning the URL it printed.
pub fn serve(db: &Engine) -> (Server, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_jifen"))
        .args(["township", db.flag])
        .arg(&db.value)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line.trim().rsplit(' ').next().unwrap().to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{line}");
    (Server(child), url)
}

/// Village YT with households H1..Hn (grid 1, each with a QR card), from the command line.
pub fn village_with_households(db: &Engine, dir: &Path, n: u32) {
    succeeds(township(db, &["village", "add", "--code", "YT", "--name", "堰头村"]));
    let households = dir.join("households.csv");
    let mut csv = String::from("household_code,grid,name,id_number,role,qr_token\n");
    for i in 1..=n {
        csv.push_str(&format!(
            "H{i},1,户主{i},{},head,QRH{i:04}-K7M3PRW9T4CX\n",
            id_number(i)
        ));
    }
    std::fs::write(&households, csv).unwrap();
    succeeds(township(
        db,
        &["households", "import", "--village", "YT", households.to_str().unwrap()],
    ));
}

/// The command's output, once it is known to have succeeded.
pub fn succeeds(o: Output) -> Output {
    assert!(o.status.success(), "{}", stderr(&o));
    o
}

/// A kiosk of YT set up on its own in `dir/kiosk` and registered, and the township
/// serving: the kiosk's folder, the server, its URL and the township's key.
pub fn enrolled_kiosk(db: &Engine, dir: &Path) -> (std::path::PathBuf, Server, String, String) {
    let kiosk = dir.join("kiosk");
    succeeds(jifen(
        &kiosk,
        &["admin", "init", "--village-code", "YT", "--village-name", "堰头村"],
    ));
    let device = json(&jifen(&kiosk, &["admin", "device", "show", "--json"]));
    let public_key = device["public_key"].as_str().unwrap();
    succeeds(township(
        db,
        &[
            "device",
            "add",
            "--village",
            "YT",
            "--name",
            "大厅",
            "--public-key",
            public_key,
        ],
    ));
    let (server, url) = serve(db);
    let key = json(&township(db, &["key", "show", "--json"]))["public_key"]
        .as_str()
        .unwrap()
        .to_string();
    (kiosk, server, url, key)
}
