//! The township web console in a real browser: Debian's chromium, headless, driven over
//! WebDriver by chromedriver, against `jifen township serve` on loopback. At phone size
//! (390×844) a grid worker records a finding with a photo, a cadre publishes the month, a
//! kiosk syncs and shows it, and a shop owner opens a voucher's link, takes it, and a
//! second scan says where and when; at desktop size (1366×768) the township's pages.
//! Role violations, a form without its token and the lockout, as a browser meets them.
//!
//! Every page is photographed on the way and the PNG decoded back; with
//! `JIFEN_CONSOLE_SCREENSHOTS=<dir>` the pictures are kept there (the README's are made
//! so, into docs/screenshots/console/).

mod common;

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::console::{kiosk_config, kiosk_does, printed_qr, township_with_users, PASSWORD};
use common::township_cli::enrolled_kiosk;
use common::{json, phone_photo};
use fantoccini::{Client, ClientBuilder, Locator};

const PHONE: (u32, u32) = (390, 844);
const DESKTOP: (u32, u32) = (1366, 768);

/// chromedriver on a port of its own, stopped when the test ends.
struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn chromedriver() -> Driver {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap();
    let child = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "chromedriver does not start ({e}): install Debian's `chromium` and `chromium-driver` (.ci/run does)"
            )
        });
    let driver = Driver { child, port };
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "chromedriver did not listen"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    driver
}

/// One person's browser: a profile of its own (cookies and all), at `size`.
struct Person {
    client: Client,
    url: String,
    size: (u32, u32),
    shots: Shots,
}

impl Person {
    async fn open(driver: &Driver, profile: &Path, url: &str, size: (u32, u32), shots: &Shots) -> Person {
        let mut options = serde_json::json!({
            "args": [
                "--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--hide-scrollbars", "--force-device-scale-factor=1", "--lang=zh-CN",
                format!("--window-size={},{}", size.0.max(500), size.1),
                format!("--user-data-dir={}", profile.display()),
            ]
        });
        // A headless window is never narrower than 500 px: a phone is emulated, as
        // Chromium's device mode does (its viewport, touch, and a phone's user agent).
        if size == PHONE {
            options["mobileEmulation"] = serde_json::json!({
                "deviceMetrics": { "width": size.0, "height": size.1, "pixelRatio": 1.0, "touch": true, "mobile": true },
                "userAgent": "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Mobile Safari/537.36"
            });
        }
        let caps = serde_json::json!({ "browserName": "chrome", "goog:chromeOptions": options });
        let serde_json::Value::Object(caps) = caps else {
            unreachable!()
        };
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", driver.port))
            .await
            .expect("a chromium session");
        Person {
            client,
            url: url.to_string(),
            size,
            shots: shots.clone(),
        }
    }

    async fn go(&self, path: &str) {
        self.client.goto(&format!("{}{path}", self.url)).await.unwrap();
    }

    /// What the page says, as the person reads it.
    async fn reads(&self) -> String {
        self.client
            .find(Locator::Css("body"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// The page once it says `words` (a click's page may still be on its way), or what it
    /// says after ten seconds, for the failure to show.
    async fn reads_once(&self, words: &str) -> String {
        let started = Instant::now();
        loop {
            let text = self.reads().await;
            if text.contains(words) || started.elapsed() > Duration::from_secs(10) {
                return text;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn fill(&self, name: &str, text: &str) {
        let field = self.client.find(Locator::Css(&format!("[name={name}]"))).await.unwrap();
        field.clear().await.unwrap();
        field.send_keys(text).await.unwrap();
    }

    async fn pick(&self, name: &str, value: &str) {
        let select = self
            .client
            .find(Locator::Css(&format!("select[name={name}]")))
            .await
            .unwrap();
        select.select_by_value(value).await.unwrap();
    }

    /// Presses a button and waits for the page its form brings: the old document carries
    /// a mark, and the new one is in when the mark is gone and it has loaded.
    async fn press(&self, words: &str) {
        self.client.execute("window.jifenOld = true;", vec![]).await.unwrap();
        let xpath = format!("//button[contains(., '{words}')]");
        self.client
            .find(Locator::XPath(&xpath))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let started = Instant::now();
        let arrived = "return window.jifenOld === undefined && document.readyState === 'complete';";
        while started.elapsed() < Duration::from_secs(10) {
            if let Ok(serde_json::Value::Bool(true)) = self.client.execute(arrived, vec![]).await {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("pressing {words} brought no page");
    }

    async fn sign_in(&self, name: &str, password: &str) {
        if !self
            .client
            .current_url()
            .await
            .unwrap()
            .path()
            .starts_with("/console/login")
        {
            self.go("/console/login").await;
        }
        self.fill("name", name).await;
        self.fill("password", password).await;
        self.press("登录").await;
    }

    /// A picture of the page as it is now, at the person's size, checked as a PNG.
    async fn shot(&self, name: &str) {
        let png = self.client.screenshot().await.unwrap();
        let decoded = image::load_from_memory_with_format(&png, image::ImageFormat::Png).expect("a PNG");
        assert_eq!(
            decoded.width(),
            self.size.0,
            "{name}: the page is as wide as the screen"
        );
        if let Some(dir) = &self.shots.0 {
            let size = if self.size == PHONE { "phone" } else { "desktop" };
            std::fs::create_dir_all(dir).unwrap();
            std::fs::write(dir.join(format!("{name}-{size}.png")), png).unwrap();
        }
    }

    async fn leave(self) {
        self.client.close().await.unwrap();
    }
}

#[derive(Clone)]
struct Shots(Option<PathBuf>);

#[test]
fn the_console_in_a_real_browser_from_a_grid_workers_phone_to_the_shop_and_the_township() {
    let tmp = tempfile::tempdir().unwrap();
    let db = township_with_users(tmp.path());
    let (kiosk, _server, url, key) = enrolled_kiosk(&db, tmp.path());
    let (config, previews) = kiosk_config(tmp.path(), &url, &key);
    kiosk_does(&kiosk, &config, &["sync", "once"]);
    // The township's engine (PostgreSQL's runs a runtime of its own) is set up and
    // dropped outside the runtime the browser is driven from.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(walk_through(tmp.path(), &kiosk, &config, &previews, &url));
}

async fn walk_through(tmp: &Path, kiosk: &Path, config: &Path, previews: &Path, url: &str) {
    let shots = Shots(std::env::var_os("JIFEN_CONSOLE_SCREENSHOTS").map(PathBuf::from));
    let (url, kiosk, config) = (url.to_string(), kiosk.to_path_buf(), config.to_path_buf());
    let driver = chromedriver();
    let profile = |who: &str| tmp.join(format!("profile-{who}"));

    // A grid worker, on a phone: a finding with a photo from the camera is a draft.
    let worker = Person::open(&driver, &profile("grid"), &url, PHONE, &shots).await;
    worker.go("/console/").await;
    worker.shot("login").await;
    worker.sign_in("grid-yt-2", PASSWORD).await;
    worker.shot("home-grid").await;
    worker.go("/console/drafts").await;
    worker.pick("household", "H2").await;
    worker.pick("rule", "B16").await;
    worker.fill("points", "4").await;
    worker.fill("note", "门前屋后已清扫").await;
    let photo = tmp.join("IMG_0001.jpg");
    std::fs::write(&photo, phone_photo(1600, 1200)).unwrap();
    let file = worker.client.find(Locator::Css("input[type=file]")).await.unwrap();
    file.send_keys(photo.to_str().unwrap()).await.unwrap();
    worker.shot("finding-form").await;
    worker.press("保存草稿").await;
    let mine = worker.reads_once("门前屋后已清扫").await;
    assert!(mine.contains("草稿") && mine.contains("门前屋后已清扫"), "{mine}");
    worker.shot("drafts-grid").await;
    worker
        .client
        .find(Locator::Css("table.drafts a"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let draft = worker.reads_once("照片").await;
    assert!(draft.contains("第 1 张照片") || draft.contains("照片"), "{draft}");
    worker.shot("draft").await;
    // Township reports are not a grid worker's: 403, as the browser shows it.
    worker.go("/console/reports").await;
    assert!(
        worker.reads().await.contains("没有权限"),
        "a grid worker is refused the reports"
    );
    worker.go("/console/feedback").await;
    assert!(worker.reads_once("本周记录 1 条").await.contains("本周记录 1 条"));
    worker.shot("feedback-grid").await;
    worker.leave().await;

    // The cadre publishes the month; the kiosk syncs and shows the entry with its photo.
    let cadre = Person::open(&driver, &profile("cadre"), &url, PHONE, &shots).await;
    cadre.sign_in("cadre-yt", PASSWORD).await;
    cadre.go("/console/drafts").await;
    assert!(cadre.reads_once("待发布 1 条").await.contains("待发布 1 条"));
    cadre.shot("month-cadre").await;
    cadre.press("发布").await;
    let published = cadre.reads_once("已发布").await;
    assert!(published.contains("已发布 1 条"), "{published}");
    cadre.shot("month-published").await;
    cadre.go("/console/feedback?grid=2").await;
    cadre.shot("feedback-cadre").await;
    cadre.go("/console/village/YT").await;
    cadre.shot("village-cadre").await;
    // A form whose token was taken out is refused.
    cadre.go("/console/drafts").await;
    cadre
        .client
        .execute(
            "document.querySelectorAll('input[name=csrf]').forEach(e => e.value = 'forged');",
            vec![],
        )
        .await
        .unwrap();
    cadre.press("退出").await;
    cadre.shot("form-refused").await;
    assert!(
        cadre.reads().await.contains("表单已过期"),
        "a form without its token is refused"
    );
    cadre.leave().await;
    let round = json(&kiosk_does(&kiosk, &config, &["sync", "once", "--json"]));
    assert_eq!(round["photos_fetched"], 1, "{round}");
    let h2 = json(&kiosk_does(
        &kiosk,
        &config,
        &["admin", "household", "show", "H2", "--json"],
    ));
    let entry = h2["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["reason"].as_str().is_some_and(|r| r.contains("门前屋后已清扫")))
        .unwrap_or_else(|| panic!("the published entry on the kiosk: {h2}"))
        .clone();
    assert_eq!(
        (entry["delta"].as_i64(), entry["evidence"][0]["held"].as_bool()),
        (Some(4), Some(true))
    );

    // A shop owner's phone opens a printed voucher's link, takes it; a second scan says so.
    kiosk_does(
        &kiosk,
        &config,
        &[
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
        ],
    );
    kiosk_does(
        &kiosk,
        &config,
        &[
            "admin",
            "--by",
            "会计",
            "redeem",
            "--household",
            "H1",
            "--item",
            "NOODLE",
        ],
    );
    kiosk_does(&kiosk, &config, &["sync", "once"]);
    let link = printed_qr(previews);
    let shop = Person::open(&driver, &profile("shop"), &url, PHONE, &shots).await;
    shop.client.goto(&link).await.unwrap();
    shop.sign_in("noodles", PASSWORD).await;
    let good = shop.reads_once("有效").await;
    assert!(good.contains("有效，可以收") && good.contains("面条券"), "{good}");
    shop.shot("voucher-good").await;
    shop.press("收下").await;
    assert!(shop.reads_once("已收下").await.contains("已收下"));
    shop.client.goto(&link).await.unwrap();
    let again = shop.reads_once("已收过").await;
    assert!(
        again.contains("已收过：") && again.contains("在「堰头面馆」"),
        "{again}"
    );
    shop.shot("voucher-taken").await;
    shop.go("/console/merchant").await;
    assert!(shop.reads_once("收券 1 张").await.contains("收券 1 张"));
    shop.shot("merchant-month").await;
    shop.leave().await;

    // Five wrong passwords lock the login, the right one too then.
    let stranger = Person::open(&driver, &profile("stranger"), &url, PHONE, &shots).await;
    for _ in 0..5 {
        stranger.sign_in("cadre-yt", "not the password").await;
    }
    stranger.sign_in("cadre-yt", PASSWORD).await;
    let locked = stranger.reads_once("锁定").await;
    assert!(locked.contains("锁定"), "{locked}");
    stranger.shot("login-locked").await;
    stranger.leave().await;

    // Township staff at an office PC.
    let staff = Person::open(&driver, &profile("staff"), &url, DESKTOP, &shots).await;
    staff.sign_in("zhang", PASSWORD).await;
    staff.shot("home-township").await;
    for (path, name, says) in [
        ("/console/reports", "reports", "一体机状况"),
        ("/console/village/YT", "village-township", "H1"),
        ("/console/audit", "audit", "收兑换券"),
        (
            "/console/feedback?village=YT&grid=2",
            "feedback-township",
            "门前屋后已清扫",
        ),
    ] {
        staff.go(path).await;
        let page = staff.reads_once(says).await;
        assert!(page.contains(says), "{path}: {page}");
        staff.shot(name).await;
    }
    staff.leave().await;
}
