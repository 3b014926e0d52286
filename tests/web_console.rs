//! The township web console (issue 18) on the real binary: accounts made with `township
//! user add`, `township serve` on loopback, and pages fetched over HTTP as a browser
//! would, cookies and all. Roles are checked on the server (403), forms need their CSRF
//! token, five wrong passwords lock the account, and every change is in the audit log.
//! On PostgreSQL with JIFEN_TEST_DATABASE_URL set, as the sync suite.

mod common;

use std::collections::HashMap;

use common::console::{add_user, kiosk_config, printed_qr, township_with_users, PASSWORD};
use common::township_cli::{enrolled_kiosk, serve, succeeds, township};
use common::{id_number, jifen, json, phone_photo, stderr, PHOTO_GPS};
use jifen::domain::clock::{Clock, SystemClock};

/// A page as the browser got it.
struct Page {
    status: u16,
    body: String,
    location: Option<String>,
    set_cookies: Vec<String>,
}

/// A browser of one person: its own cookies, no redirects followed (so they can be seen).
struct Browser {
    url: String,
    agent: ureq::Agent,
    cookies: HashMap<String, String>,
    headers: Vec<(&'static str, &'static str)>,
}

impl Browser {
    fn new(url: &str) -> Browser {
        Browser {
            url: url.to_string(),
            agent: ureq::AgentBuilder::new().redirects(0).build(),
            cookies: HashMap::new(),
            headers: Vec::new(),
        }
    }

    fn get(&mut self, path: &str) -> Page {
        let req = self.request("GET", path);
        self.take(req.call())
    }

    fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let req = self.request("POST", path);
        self.take(req.send_form(form))
    }

    /// A form with files, as a phone's browser sends `enctype="multipart/form-data"`.
    fn post_files(&mut self, path: &str, fields: &[(&str, &str)], files: &[(&str, Vec<u8>)]) -> Page {
        let boundary = "----jifen-test-boundary-7MA4YWxkTrZu0gW";
        let mut body = Vec::new();
        for (k, v) in fields {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes(),
            );
        }
        for (file, bytes) in files {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"photos\"; filename=\"{file}\"\r\nContent-Type: image/jpeg\r\n\r\n"
                )
                .as_bytes(),
            );
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let req = self
            .request("POST", path)
            .set("Content-Type", &format!("multipart/form-data; boundary={boundary}"));
        self.take(req.send_bytes(&body))
    }

    /// Opens the login page and signs in with its form.
    fn sign_in(&mut self, name: &str, password: &str) -> Page {
        let login = self.get("/console/login");
        assert_eq!(login.status, 200, "{}", login.body);
        let token = form_token(&login.body);
        self.post(
            "/console/login",
            &[("csrf", &token), ("name", name), ("password", password)],
        )
    }

    fn request(&self, method: &str, path: &str) -> ureq::Request {
        let mut req = self.agent.request(method, &format!("{}{path}", self.url));
        let jar: Vec<String> = self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
        if !jar.is_empty() {
            req = req.set("Cookie", &jar.join("; "));
        }
        for (k, v) in &self.headers {
            req = req.set(k, v);
        }
        req
    }

    fn take_bytes(&self, req: ureq::Request) -> Vec<u8> {
        let jar: Vec<String> = self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let answer = req.set("Cookie", &jar.join("; ")).call().expect("the photo");
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut answer.into_reader(), &mut bytes).unwrap();
        bytes
    }

    fn take(&mut self, answer: Result<ureq::Response, ureq::Error>) -> Page {
        let response = match answer {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("no answer: {e}"),
        };
        let set_cookies: Vec<String> = response.all("set-cookie").into_iter().map(str::to_string).collect();
        for c in &set_cookies {
            let pair = c.split(';').next().unwrap_or_default();
            let (k, v) = pair.split_once('=').unwrap();
            if v.is_empty() || c.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_string(), v.to_string());
            }
        }
        Page {
            status: response.status(),
            location: response.header("location").map(str::to_string),
            set_cookies,
            body: response.into_string().unwrap(),
        }
    }
}

/// The CSRF token a page's forms carry.
fn form_token(html: &str) -> String {
    let at = html.find(r#"name="csrf" value=""#).expect("a form with its token") + r#"name="csrf" value=""#.len();
    html[at..].split('"').next().unwrap().to_string()
}

#[test]
fn accounts_are_made_from_the_command_line_and_their_passwords_never_shown() {
    let tmp = tempfile::tempdir().unwrap();
    let db = township_with_users(tmp.path());

    let short = add_user(&db, "short", &["--name", "li", "--role", "township"]);
    assert!(!short.status.success());
    assert!(stderr(&short).contains("at least 10 characters"), "{}", stderr(&short));
    let no_village = add_user(&db, PASSWORD, &["--name", "li", "--role", "cadre"]);
    assert!(
        stderr(&no_village).contains("needs --village"),
        "{}",
        stderr(&no_village)
    );
    let unknown = add_user(&db, PASSWORD, &["--name", "li", "--role", "cadre", "--village", "ZZ"]);
    assert!(!unknown.status.success());
    let twice = add_user(&db, PASSWORD, &["--name", "zhang", "--role", "township"]);
    assert!(stderr(&twice).contains("already"), "{}", stderr(&twice));

    let list = succeeds(township(&db, &["user", "list", "--json"]));
    let text = String::from_utf8_lossy(&list.stdout);
    let users: serde_json::Value = serde_json::from_str(&text).unwrap();
    let roles: Vec<(&str, &str)> = users
        .as_array()
        .unwrap()
        .iter()
        .map(|u| (u["name"].as_str().unwrap(), u["role"].as_str().unwrap()))
        .collect();
    assert!(roles.contains(&("grid-yt-2", "grid")), "{roles:?}");
    assert!(!text.contains("argon2") && !text.contains(PASSWORD), "{text}");
}

#[test]
fn each_role_sees_its_own_pages_and_gets_403_elsewhere() {
    let tmp = tempfile::tempdir().unwrap();
    let db = township_with_users(tmp.path());
    let (_server, url) = serve(&db);

    // Nobody signed in: every page sends them to the login page.
    let mut nobody = Browser::new(&url);
    let page = nobody.get("/console/reports");
    assert_eq!((page.status, page.location.as_deref()), (303, Some("/console/login")));

    let mut staff = Browser::new(&url);
    let signed = staff.sign_in("zhang", PASSWORD);
    assert_eq!(
        (signed.status, signed.location.as_deref()),
        (303, Some("/console/")),
        "{}",
        signed.body
    );
    let session = signed
        .set_cookies
        .iter()
        .find(|c| c.starts_with("jifen_session="))
        .unwrap();
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/console"] {
        assert!(session.contains(flag), "{session}");
    }
    assert!(!session.contains("Secure"), "plain HTTP on loopback: {session}");
    let home = staff.get("/console/");
    assert!(
        home.body.contains("堰头村") && home.body.contains("新桥村"),
        "{}",
        home.body
    );
    let reports = staff.get("/console/reports");
    assert_eq!(reports.status, 200, "{}", reports.body);
    assert!(
        reports.body.contains("一体机状况") && reports.body.contains("H1"),
        "{}",
        reports.body
    );
    assert!(staff.get("/console/village/XQ").status == 200);

    let mut cadre = Browser::new(&url);
    cadre.sign_in("cadre-yt", PASSWORD);
    let own = cadre.get("/console/village/YT");
    assert_eq!(own.status, 200, "{}", own.body);
    assert!(own.body.contains("H1") && own.body.contains("H2"), "{}", own.body);
    for path in [
        "/console/village/XQ",
        "/console/reports",
        "/console/audit",
        "/console/merchant",
    ] {
        let page = cadre.get(path);
        assert_eq!(page.status, 403, "{path}: {}", page.body);
        assert!(page.body.contains("不在您的权限里"), "{}", page.body);
    }

    // The grid worker of grid 2 sees H2, not H1 of grid 1.
    let mut grid = Browser::new(&url);
    grid.sign_in("grid-yt-2", PASSWORD);
    let own = grid.get("/console/village/YT");
    assert!(own.body.contains("H2") && !own.body.contains(">H1<"), "{}", own.body);
    assert_eq!(grid.get("/console/village/XQ").status, 403);

    let mut shop = Browser::new(&url);
    shop.sign_in("noodles", PASSWORD);
    let vouchers = shop.get("/console/merchant");
    assert_eq!(vouchers.status, 200, "{}", vouchers.body);
    assert!(vouchers.body.contains("收券 0 张，应付 0.00 元"), "{}", vouchers.body);
    assert_eq!(shop.get("/console/village/YT").status, 403);
    assert_eq!(shop.get("/console/reports").status, 403);

    // Names are masked and no ID number is on any page.
    for page in [&reports.body, &own.body] {
        assert!(!page.contains("户主1") && !page.contains(&id_number(1)), "{page}");
    }

    // The audit log, for staff only, says who signed in and who was refused where.
    let audit = staff.get("/console/audit");
    assert_eq!(audit.status, 200);
    assert!(
        audit.body.contains("cadre-yt") && audit.body.contains("越权访问被拒"),
        "{}",
        audit.body
    );
    // The page escapes `/` as `&#x2f;`, as HTML escaping does.
    let audit_text = audit.body.replace("&#x2f;", "/");
    assert!(audit_text.contains("/console/village/XQ"), "{}", audit.body);
    assert!(audit.body.contains("添加用户"), "{}", audit.body);
}

#[test]
fn forms_without_their_token_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let db = township_with_users(tmp.path());
    let (_server, url) = serve(&db);

    // A login posted from elsewhere has no login cookie, or a token that is not its own.
    let mut stranger = Browser::new(&url);
    let page = stranger.post(
        "/console/login",
        &[("csrf", "0000"), ("name", "zhang"), ("password", PASSWORD)],
    );
    assert_eq!(page.status, 403, "{}", page.body);
    assert!(page.body.contains("登录页已过期"), "{}", page.body);
    assert!(!stranger.cookies.contains_key("jifen_session"));

    let mut staff = Browser::new(&url);
    staff.sign_in("zhang", PASSWORD);
    let home = staff.get("/console/");
    let token = form_token(&home.body);
    let forged = staff.post("/console/logout", &[("csrf", "not-the-token")]);
    assert_eq!(forged.status, 403, "{}", forged.body);
    assert!(
        forged.body.contains("表单已过期或不是从本系统提交的"),
        "{}",
        forged.body
    );
    let bare = staff.post("/console/logout", &[]);
    assert_eq!(bare.status, 403);
    assert_eq!(staff.get("/console/reports").status, 200, "still signed in");

    let out = staff.post("/console/logout", &[("csrf", &token)]);
    assert_eq!((out.status, out.location.as_deref()), (303, Some("/console/login")));
    assert_eq!(staff.get("/console/reports").status, 303, "signed out");
}

#[test]
fn five_wrong_passwords_lock_the_account_and_a_deactivated_user_is_signed_out() {
    let tmp = tempfile::tempdir().unwrap();
    let db = township_with_users(tmp.path());
    let (_server, url) = serve(&db);

    let mut guesser = Browser::new(&url);
    for i in 1..=4 {
        let page = guesser.sign_in("zhang", &format!("guess number {i}"));
        assert_eq!(page.status, 401, "{}", page.body);
        assert!(page.body.contains("用户名或密码不对"), "{}", page.body);
    }
    // A name that does not exist reads the same as a wrong password.
    let page = guesser.sign_in("nobody-here", PASSWORD);
    assert_eq!(page.status, 401);
    assert!(page.body.contains("用户名或密码不对"), "{}", page.body);
    let fifth = guesser.sign_in("zhang", "guess number 5");
    assert_eq!(fifth.status, 403, "{}", fifth.body);
    assert!(fifth.body.contains("账号已锁定"), "{}", fifth.body);
    let right = guesser.sign_in("zhang", PASSWORD);
    assert_eq!(right.status, 403, "locked even with the right password: {}", right.body);
    assert!(!guesser.cookies.contains_key("jifen_session"));

    // Others are not locked out; behind an HTTPS proxy the cookie is Secure.
    let mut cadre = Browser::new(&url);
    cadre.headers.push(("X-Forwarded-Proto", "https"));
    let signed = cadre.sign_in("cadre-yt", PASSWORD);
    assert_eq!(signed.status, 303);
    assert!(signed
        .set_cookies
        .iter()
        .any(|c| c.starts_with("jifen_session=") && c.contains("; Secure")));
    let users = succeeds(township(&db, &["user", "list", "--json"]));
    let users: serde_json::Value = serde_json::from_slice(&users.stdout).unwrap();
    let zhang = users.as_array().unwrap().iter().find(|u| u["name"] == "zhang").unwrap();
    assert!(zhang["locked_until"].is_string(), "{zhang}");

    succeeds(township(&db, &["user", "deactivate", "--name", "cadre-yt"]));
    assert_eq!(cadre.get("/console/village/YT").status, 303, "its session ended");
    let again = cadre.sign_in("cadre-yt", PASSWORD);
    assert!(again.body.contains("账号已停用"), "{}", again.body);
}

/// The first draft's id on a drafts page.
fn draft_id(html: &str) -> String {
    let at = html.find("/console/drafts/").expect("a draft on the page") + "/console/drafts/".len();
    html[at..].split('"').next().unwrap().to_string()
}

#[test]
fn a_grid_workers_finding_is_a_draft_until_the_cadre_publishes_the_month_and_the_kiosk_shows_it() {
    let tmp = tempfile::tempdir().unwrap();
    let db = township_with_users(tmp.path());
    succeeds(add_user(
        &db,
        PASSWORD,
        &[
            "--name",
            "grid-yt-1",
            "--role",
            "grid",
            "--village",
            "YT",
            "--grid",
            "1",
        ],
    ));
    let (kiosk, _server, url, key) = enrolled_kiosk(&db, tmp.path());
    let sync = || {
        json(&jifen(
            &kiosk,
            &["sync", "once", "--url", &url, "--township-key", &key, "--json"],
        ))
    };
    sync();
    let month = SystemClock.this_month().to_string();

    // The grid worker of grid 2 picks from grid 2's households only.
    let mut worker = Browser::new(&url);
    worker.sign_in("grid-yt-2", PASSWORD);
    let form = worker.get("/console/drafts");
    assert_eq!(form.status, 200, "{}", form.body);
    assert!(form.body.contains(r#"<option value="H2""#), "{}", form.body);
    assert!(!form.body.contains(r#"<option value="H1""#), "{}", form.body);
    assert!(form.body.contains(r#"accept="image/*" capture"#), "{}", form.body);
    let csrf = form_token(&form.body);

    // Refusals keep what was typed and say why; nothing is kept.
    let finding = |household: &'static str, points: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("household", household.to_string()),
            ("rule", "B16".to_string()),
            ("points", points.to_string()),
            ("note", "门前屋后已清扫".to_string()),
        ]
    };
    let post = |b: &mut Browser, path: &str, fields: &[(&str, String)], files: &[(&str, Vec<u8>)]| {
        let f: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        b.post_files(path, &f, files)
    };
    let other_grid = post(&mut worker, "/console/drafts", &finding("H1", ""), &[]);
    assert_eq!(other_grid.status, 422, "{}", other_grid.body);
    assert!(other_grid.body.contains("H1 不在第 2 网格"), "{}", other_grid.body);
    let too_many = post(&mut worker, "/console/drafts", &finding("H2", "50"), &[]);
    assert_eq!(too_many.status, 422, "{}", too_many.body);
    assert!(
        too_many.body.contains("门前屋后已清扫"),
        "the note stays typed: {}",
        too_many.body
    );
    let not_a_photo = post(
        &mut worker,
        "/console/drafts",
        &finding("H2", ""),
        &[("巡查.jpg", "不是照片".as_bytes().to_vec())],
    );
    assert_eq!(not_a_photo.status, 422, "{}", not_a_photo.body);
    assert!(not_a_photo.body.contains("巡查.jpg"), "{}", not_a_photo.body);
    let mut forged = finding("H2", "");
    forged[0].1 = "forged".into();
    assert_eq!(post(&mut worker, "/console/drafts", &forged, &[]).status, 403);
    assert!(worker.get("/console/drafts").body.contains("这个月还没有记录"));

    // A finding with a photo straight from the camera is a draft.
    let saved = post(
        &mut worker,
        "/console/drafts",
        &finding("H2", "4"),
        &[("IMG_0001.jpg", phone_photo(1600, 1200))],
    );
    assert_eq!(saved.status, 303, "{}", saved.body);
    let mine = worker.get(saved.location.as_deref().unwrap());
    assert!(mine.body.contains("草稿") && mine.body.contains("+4"), "{}", mine.body);
    let id = draft_id(&mine.body);
    let draft = worker.get(&format!("/console/drafts/{id}"));
    assert_eq!(draft.status, 200, "{}", draft.body);
    let photo_path = draft.body[draft.body.find("/photos/").unwrap()..]
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let photo = worker.agent.get(&format!("{url}/console/drafts/{id}{photo_path}"));
    let photo = worker.take_bytes(photo);
    assert_eq!(&photo[..2], &[0xFF, 0xD8], "a JPEG");
    assert!(!photo.windows(PHOTO_GPS.len()).any(|w| w == PHOTO_GPS.as_bytes()));

    // The worker changes their draft; another grid's worker cannot see or change it.
    let changed = post(&mut worker, &format!("/console/drafts/{id}"), &finding("H2", "3"), &[]);
    assert_eq!(changed.status, 303, "{}", changed.body);
    let draft = worker.get(&format!("/console/drafts/{id}"));
    assert!(
        draft.body.contains("+3 分") && draft.body.contains("第 1 张照片"),
        "{}",
        draft.body
    );
    let mut neighbour = Browser::new(&url);
    neighbour.sign_in("grid-yt-1", PASSWORD);
    assert_eq!(neighbour.get(&format!("/console/drafts/{id}")).status, 403);
    let token = form_token(&neighbour.get("/console/drafts").body);
    let theirs = neighbour.post_files(
        &format!("/console/drafts/{id}"),
        &[("csrf", &token), ("household", "H2"), ("rule", "B16"), ("points", "5")],
        &[],
    );
    assert_eq!(theirs.status, 403, "{}", theirs.body);
    assert_eq!(
        neighbour
            .post(
                "/console/publish",
                &[("csrf", &token), ("village", "YT"), ("month", &month)]
            )
            .status,
        403,
        "a grid worker does not publish"
    );
    assert!(!sync().to_string().is_empty());
    let before = json(&jifen(&kiosk, &["admin", "household", "show", "H2", "--json"]));
    assert!(!before.to_string().contains(&id), "a draft is not in the ledger yet");

    // The cadre sees the village's month by grid and by rule, and publishes it, once.
    let mut cadre = Browser::new(&url);
    cadre.sign_in("cadre-yt", PASSWORD);
    let page = cadre.get("/console/drafts");
    assert!(
        page.body.contains("待发布 1 条") && page.body.contains("第 2 网格"),
        "{}",
        page.body
    );
    assert!(page.body.contains("垃圾分类优秀"), "{}", page.body);
    let token = form_token(&page.body);
    let published = cadre.post(
        "/console/publish",
        &[("csrf", &token), ("village", "YT"), ("month", &month)],
    );
    assert_eq!(published.status, 303, "{}", published.body);
    let done = cadre.get(published.location.as_deref().unwrap());
    assert!(
        done.body.contains("已发布 1 条") && done.body.contains("已发布"),
        "{}",
        done.body
    );
    let again = cadre.post(
        "/console/publish",
        &[("csrf", &token), ("village", "YT"), ("month", &month)],
    );
    assert!(again.location.unwrap().contains("published=0"));
    let locked = post(&mut worker, &format!("/console/drafts/{id}"), &finding("H2", "5"), &[]);
    assert_eq!(locked.status, 422, "a published draft is not changed: {}", locked.body);

    // The entry is in the ledger once, with the draft's id, and reaches the kiosk with its photo.
    let township_view = json(&township(
        &db,
        &["household", "show", "--village", "YT", "H2", "--json"],
    ));
    let entries = township_view["entries"].as_array().unwrap();
    assert_eq!(
        entries.iter().filter(|e| e["id"] == id.as_str()).count(),
        1,
        "{township_view}"
    );
    let round = sync();
    assert_eq!(round["photos_fetched"], 1, "{round}");
    let h2 = json(&jifen(&kiosk, &["admin", "household", "show", "H2", "--json"]));
    let entry = h2["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == id.as_str())
        .unwrap_or_else(|| panic!("the published entry on the kiosk: {h2}"))
        .clone();
    assert_eq!(entry["delta"], 3, "{entry}");
    assert!(entry["reason"].as_str().unwrap().contains("门前屋后已清扫"), "{entry}");
    assert_eq!(entry["evidence"][0]["recorded_by"], "grid-yt-2");
    assert_eq!(entry["evidence"][0]["held"], true, "{entry}");

    // 一周一反馈: the week's sheet of grid 2 names the finding; grid 1's worker gets their own.
    let sheet = cadre.get("/console/feedback?grid=2");
    assert_eq!(sheet.status, 200, "{}", sheet.body);
    assert!(
        sheet.body.contains("本周记录 1 条，合计 +3 分") && sheet.body.contains("垃圾分类优秀（+3）：门前屋后已清扫"),
        "{}",
        sheet.body
    );
    assert!(sheet.body.contains("网格员签字"), "a sheet to sign: {}", sheet.body);
    let theirs = neighbour.get("/console/feedback?grid=2");
    assert!(
        theirs.body.contains("第 1 网格") && theirs.body.contains("本周无记录") && !theirs.body.contains("门前屋后"),
        "{}",
        theirs.body
    );
    let last_week = cadre.get(&format!(
        "/console/feedback?grid=2&week={}",
        SystemClock.today() - chrono::Duration::days(7)
    ));
    assert!(last_week.body.contains("本周记录 0 条"), "{}", last_week.body);

    let mut staff = Browser::new(&url);
    staff.sign_in("zhang", PASSWORD);
    let audit = staff.get("/console/audit");
    assert!(
        audit.body.contains("记录巡查") && audit.body.contains("发布本月积分"),
        "{}",
        audit.body
    );
}

#[test]
fn a_shop_owner_scans_a_vouchers_link_takes_it_once_and_the_kiosks_hear_of_it() {
    let tmp = tempfile::tempdir().unwrap();
    let db = township_with_users(tmp.path());
    let (kiosk, _server, url, key) = enrolled_kiosk(&db, tmp.path());
    let (config, previews) = kiosk_config(tmp.path(), &url, &key);
    let cfg = config.to_str().unwrap();
    let kiosk_does = |args: &[&str]| jifen(&kiosk, &[&["--config", cfg][..], args].concat());
    let ok = |o: std::process::Output| {
        assert!(o.status.success(), "{}", stderr(&o));
        o
    };
    ok(kiosk_does(&["sync", "once"]));
    ok(kiosk_does(&[
        "admin",
        "--by",
        "会计",
        "catalogue",
        "add",
        "--code",
        "NOODLE",
        "--name",
        "面条券",
        "--points",
        "2",
        "--unlimited",
        "--merchant",
        "堰头面馆",
    ]));
    let redeem = |h: &str| {
        let v = json(&ok(kiosk_does(&[
            "admin",
            "--by",
            "会计",
            "redeem",
            "--household",
            h,
            "--item",
            "NOODLE",
            "--json",
        ])));
        (v["serial"].as_str().unwrap().to_string(), printed_qr(&previews))
    };
    let (serial, link) = redeem("H1");
    let prefix = format!("{url}/console/v?q=JFV1%7C{serial}%7C");
    assert!(
        link.starts_with(&prefix),
        "the voucher's QR is a link to the township: {link}"
    );
    let path = &link[url.len()..];

    // Printed while the township has not heard of it yet: genuine, but not to be taken.
    let mut shop = Browser::new(&url);
    let signed_out = shop.get(path);
    let to_login = signed_out.location.clone().unwrap();
    assert!(to_login.starts_with("/console/login?next=%2Fconsole%2Fv"), "{to_login}");
    let login = shop.get(&to_login);
    let token = form_token(&login.body);
    let next = login
        .body
        .split(r#"name="next" value=""#)
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let back = shop.post(
        "/console/login",
        &[
            ("csrf", &token),
            ("name", "noodles"),
            ("password", PASSWORD),
            ("next", &next.replace("&#x2f;", "/").replace("&amp;", "&")),
        ],
    );
    assert_eq!(
        back.location.as_deref(),
        Some(path),
        "the login brings the shop owner back to the voucher"
    );
    let early = shop.get(path);
    assert!(early.body.contains("真券，但兑换记录还没传到乡镇"), "{}", early.body);
    assert!(!early.body.contains("收下</button>"), "{}", early.body);

    // After the kiosk's sync it is good, and 收下 takes it once.
    ok(kiosk_does(&["sync", "once"]));
    let good = shop.get(path);
    assert!(
        good.body.contains("有效，可以收") && good.body.contains("面条券"),
        "{}",
        good.body
    );
    let q = jifen::domain::voucher::presented_payload(&link).unwrap();
    assert_eq!(shop.post("/console/v", &[("csrf", "stale"), ("q", &q)]).status, 403);
    let token = form_token(&good.body);
    let taken = shop.post("/console/v", &[("csrf", &token), ("q", &q)]);
    assert_eq!(taken.status, 200, "{}", taken.body);
    assert!(taken.body.contains("已收下"), "{}", taken.body);
    let twice = shop.post("/console/v", &[("csrf", &token), ("q", &q)]);
    assert_eq!(twice.status, 409, "{}", twice.body);
    let second_scan = shop.get(path);
    assert!(
        second_scan.body.contains("已收过：") && second_scan.body.contains("在「堰头面馆」"),
        "a second scan says where and when: {}",
        second_scan.body
    );

    // A voucher with its points changed is refused whatever its signature says.
    let forged = q.replacen("|2|", "|20|", 1);
    let page = shop.get(&format!("/console/v?q={}", forged.replace('|', "%7C")));
    assert!(page.body.contains("假券或被改过"), "{}", page.body);
    assert!(shop.get("/console/merchant").body.contains("收券 1 张"));

    // A grid worker has no business with vouchers.
    let mut worker = Browser::new(&url);
    worker.sign_in("grid-yt-2", PASSWORD);
    assert_eq!(worker.get(path).status, 403);

    // The kiosk hears of it, and refuses it if it comes back; it reads a link offline too.
    ok(kiosk_does(&["sync", "once"]));
    let there = json(&ok(kiosk_does(&["admin", "voucher", "show", &serial, "--json"])));
    assert_eq!(
        (there["status"].as_str(), there["settled_merchant"].as_str()),
        (Some("settled"), Some("堰头面馆")),
        "{there}"
    );
    let again = kiosk_does(&["admin", "--by", "会计", "voucher", "settle", "--qr", &link]);
    assert!(
        !again.status.success() && stderr(&again).contains(&serial),
        "{}",
        stderr(&again)
    );
    let (_, other) = redeem("H1");
    ok(kiosk_does(&[
        "admin", "--by", "会计", "voucher", "settle", "--qr", &other,
    ]));

    let mut staff = Browser::new(&url);
    staff.sign_in("zhang", PASSWORD);
    assert!(staff.get("/console/audit").body.contains("收兑换券"));
}
