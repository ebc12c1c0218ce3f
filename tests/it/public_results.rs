//! Public results (公示) on both databases: nothing is public until the office says so; a
//! public version shows exactly its frozen numbers with low-n units suppressed; the checksum
//! shown is the SHA-256 of the downloaded JSON; the department page's figures recompute the
//! ranking score; withdrawing takes effect at once; department accounts see only their own
//! department in the console.

use diesel::prelude::*;
use pingyi::db::schema::audit_log;
use pingyi::domain::account::Role;
use pingyi::domain::period::Period;
use pingyi::domain::results::PeriodResults;
use pingyi::domain::scoring::round2;
use pingyi::services::results;
use sha2::{Digest, Sha256};

use crate::fixtures;
use crate::helpers::{TestApp, backends, lenient_agent, signed_in_as};

fn october() -> Period {
    "2026-10".parse().unwrap()
}

fn pct(v: f64) -> String {
    format!("{:.2}%", v * 100.0)
}

fn two(v: f64) -> String {
    format!("{:.2}", round2(v))
}

/// The text of the first element whose opening tag contains `marker`.
fn element_text<'a>(html: &'a str, marker: &str) -> &'a str {
    let start = html.find(marker).unwrap_or_else(|| panic!("no {marker} in page"));
    let open_end = start + html[start..].find('>').unwrap() + 1;
    let close = open_end + html[open_end..].find('<').unwrap();
    &html[open_end..close]
}

/// Parses "(48 × 94.4849 + 10 × 89.6983) / (48 + 10) = 93.65" into (N, score, k, prior, shown).
fn formula(text: &str) -> (f64, f64, f64, f64, f64) {
    let numbers: Vec<f64> = text
        .split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().unwrap())
        .collect();
    assert_eq!(numbers.len(), 7, "{text}");
    assert_eq!((numbers[0], numbers[2]), (numbers[4], numbers[5]), "{text}");
    (numbers[0], numbers[1], numbers[2], numbers[3], numbers[6])
}

#[test]
fn public_results_show_the_frozen_numbers_only_while_the_office_allows() {
    for backend in backends() {
        let (db, mut conn, _) = fixtures::example_db(backend);
        let app =
            TestApp::spawn_settings(db.settings_with(&[("PINGYI_TIME_ZONE", "Asia/Shanghai")])).unwrap();
        let mut public = app.client();

        // Not published at all.
        assert_eq!(public.get("/results/2026-10").status, 404, "{backend:?}");
        assert_eq!(public.get("/results/2026-10.json").status, 404, "{backend:?}");
        let list = public.get("/results");
        assert_eq!(list.status, 200);
        assert!(list.body.contains("目前没有公示的结果"), "{backend:?}");
        assert_eq!(public.get("/results/not-a-period").status, 404);

        // Published, but not public.
        let ctx = crate::helpers::test_ctx();
        let meta = results::publish(&mut conn, &ctx, &october(), None, "内部", false).unwrap();
        assert!(!meta.public);
        let (office, csrf) = signed_in_as(&app, &db, "office", Role::Assessor, None);
        let mut office = office;
        let page = office.get("/admin/periods/2026-10");
        assert!(
            page.body.contains("同时向社会公示"),
            "the publish form has the checkbox"
        );
        assert_eq!(public.get("/results/2026-10").status, 404, "{backend:?}");
        assert_eq!(public.get("/results/2026-10/JYJ").status, 404, "{backend:?}");

        // The office makes it public.
        let made = office.post_form(
            "/admin/periods/2026-10/versions/1/public",
            &[("csrf", &csrf), ("public", "true")],
        );
        assert_eq!(made.status, 303, "{backend:?}: {}", made.body);
        let page = public.get("/results/2026-10");
        assert_eq!(page.status, 200, "{backend:?}: {}", page.body);
        assert_eq!(page.header("cache-control"), Some("public, max-age=300"));
        assert!(page.header("etag").is_some_and(|t| t.contains(&meta.checksum)));
        let html = &page.body;
        let list = public.get("/results");
        assert!(list.body.contains("href=\"/results/2026-10\""), "{backend:?}");

        // Exactly the frozen numbers, from the stored snapshot.
        let (_, stored) = results::snapshot_text(&mut conn, &october(), 1).unwrap();
        let frozen = PeriodResults::from_snapshot_json(&stored).unwrap();
        for d in &frozen.departments {
            let r = &d.result;
            assert!(
                html.contains(&format!("/results/2026-10/{}", d.code)),
                "{}",
                d.code
            );
            if d.suppressed() {
                continue;
            }
            let (lo, hi) = r.interval.unwrap();
            for figure in [
                pct(r.rate.unwrap()),
                pct(lo),
                pct(hi),
                two(r.ranking_score.unwrap()),
            ] {
                assert!(html.contains(&figure), "{backend:?} {} {figure}", d.code);
            }
        }
        assert!(html.contains("1 / 3") && html.contains("2 / 2"), "rank X / N");
        assert_eq!(html.matches("市政府工作部门").count(), 1, "category named once");
        // 市卫健委 (N = 8 < 30): 样本不足, none of its rates or scores.
        let wjw = frozen.department_by_code("WJW").unwrap();
        assert!(wjw.suppressed());
        assert!(html.contains("样本不足"));
        let (lo, hi) = wjw.result.interval.unwrap();
        for hidden in [
            pct(wjw.result.rate.unwrap()),
            pct(lo),
            two(wjw.result.ranking_score.unwrap()),
            two(wjw.result.score.unwrap()),
        ] {
            assert!(!html.contains(&hidden), "{backend:?}: {hidden} must not appear");
        }
        let _ = hi; // 100.00%: the same text as the rate

        // The checksum shown is the SHA-256 of the downloaded JSON, which is the stored text.
        let shown = element_text(html, "class=\"code checksum\"").trim().to_string();
        assert_eq!(shown, meta.checksum);
        let (status, json) = public.get_bytes("/results/2026-10.json");
        assert_eq!(status, 200);
        assert_eq!(hex::encode(Sha256::digest(&json)), shown, "{backend:?}");
        assert_eq!(json, stored.as_bytes());
        assert!(
            html.contains("JSON"),
            "the page says which file the checksum is of"
        );

        // The CSV: the same table, suppressed alike.
        let (status, csv) = public.get_bytes("/results/2026-10.csv");
        assert_eq!(status, 200);
        let csv = String::from_utf8(csv).unwrap();
        let jyj = frozen.department_by_code("JYJ").unwrap();
        assert!(csv.contains(&format!("{:.2}", 100.0 * jyj.result.rate.unwrap())));
        let wjw_line = csv.lines().find(|l| l.contains("WJW")).unwrap();
        assert!(wjw_line.contains("样本不足"), "{wjw_line}");
        assert!(!csv.contains("100.00") && !csv.contains("94.28"), "{csv}");

        // A browser that has the page gets 304.
        let etag = page.header("etag").unwrap().to_string();
        let res = lenient_agent()
            .get(format!("{}/results/2026-10", app.base))
            .header("if-none-match", &etag)
            .call()
            .unwrap();
        assert_eq!(res.status().as_u16(), 304);

        // Each department page recomputes its ranking score by hand.
        for d in frozen.departments.iter().filter(|d| !d.suppressed()) {
            let page = public.get(&format!("/results/2026-10/{}", d.code));
            assert_eq!(page.status, 200, "{}", d.code);
            let (n, score, k, prior, shown) = formula(element_text(&page.body, "class=\"formula\""));
            let by_hand = round2((n * score + k * prior) / (n + k));
            assert_eq!(by_hand, shown, "{backend:?} {}", d.code);
            assert_eq!(shown, round2(d.result.ranking_score.unwrap()), "{}", d.code);
            assert_eq!(n as u64, d.result.responses);
            let cell = element_text(&page.body, "class=\"ranking-score\"");
            assert_eq!(cell, two(d.result.ranking_score.unwrap()));
            assert!(page.body.contains("k = 10"), "describe_k");
            assert!(page.body.contains("环比") && page.body.contains("历史"));
            assert!(page.body.contains("href=\"/results/2026-10/"), "history row");
        }
        let capped = public.get("/results/2026-10/JYJ");
        assert!(capped.body.contains("优秀名额已满"), "JYJ capped");
        let small = public.get("/results/2026-10/WJW");
        assert_eq!(small.status, 200);
        assert!(small.body.contains("样本不足"));
        assert!(!small.body.contains("100.00%") && !small.body.contains("formula"));
        assert_eq!(public.get("/results/2026-10/NOPE").status, 404);

        // Withdrawn: 404 again, at once.
        let withdrawn = office.post_form(
            "/admin/periods/2026-10/versions/1/public",
            &[("csrf", &csrf), ("public", "false")],
        );
        assert_eq!(withdrawn.status, 303);
        for path in [
            "/results/2026-10",
            "/results/2026-10.json",
            "/results/2026-10.csv",
            "/results/2026-10/JYJ",
        ] {
            assert_eq!(public.get(path).status, 404, "{backend:?} {path}");
        }
        let actions: Vec<String> = audit_log::table
            .filter(audit_log::action.like("results.%public"))
            .order(audit_log::id)
            .select(audit_log::action)
            .load(&mut conn)
            .unwrap();
        assert_eq!(
            actions,
            ["results.make_public", "results.withdraw_public"],
            "{backend:?}"
        );
    }
}

#[test]
fn publishing_to_the_public_through_the_api_and_the_console_pages_for_staff() {
    for backend in backends() {
        let (db, mut conn, _) = fixtures::example_db(backend);
        let key = crate::helpers::api_key(&mut conn, "office", &["results:read", "results:publish"]);
        let app =
            TestApp::spawn_settings(db.settings_with(&[("PINGYI_TIME_ZONE", "Asia/Shanghai")])).unwrap();
        let mut public = app.client();
        assert_eq!(public.get("/results/2026-10").status, 404);

        let (status, body) = crate::helpers::api_post_raw(
            &app.base,
            &key,
            "/api/v1/results/2026-10/publish",
            "application/json",
            r#"{"note": "公示", "public": true}"#.as_bytes(),
        );
        assert_eq!(status, 201, "{body}");
        let meta: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(meta["public"], true);
        assert_eq!(public.get("/results/2026-10").status, 200, "{backend:?}");

        let (status, body) = crate::helpers::api_post_raw(
            &app.base,
            &key,
            "/api/v1/results/2026-10/versions/1/public",
            "application/json",
            br#"{"public": false}"#,
        );
        assert_eq!(status, 200, "{body}");
        assert_eq!(public.get("/results/2026-10").status, 404, "{backend:?}");
        let (status, _) = crate::helpers::api_post_raw(
            &app.base,
            &key,
            "/api/v1/results/2026-10/versions/9/public",
            "application/json",
            br#"{"public": true}"#,
        );
        assert_eq!(status, 404);

        // The console: a department account sees its own page only, published versions only.
        let (mut jyj, _) = signed_in_as(&app, &db, "jyj", Role::Department, Some("JYJ"));
        let own = jyj.get("/admin/periods/2026-10/departments/JYJ?version=1");
        assert_eq!(own.status, 200, "{backend:?}");
        assert!(own.body.contains("class=\"formula\""));
        assert!(own.body.contains(&meta["checksum"].as_str().unwrap()[..16]));
        for path in [
            "/admin/periods/2026-10/departments/WJW?version=1",
            "/admin/periods/2026-10/departments/WJW",
            "/admin/periods/2026-10/departments/JYJ?version=live",
        ] {
            let status = jyj.get(path).status;
            assert!(status == 403 || status == 404, "{backend:?} {path}: {status}");
        }
        // The office sees any department, also live and also the low-n one's figures.
        let (mut office, _) = signed_in_as(&app, &db, "office", Role::Assessor, None);
        let wjw = office.get("/admin/periods/2026-10/departments/WJW?version=live");
        assert_eq!(wjw.status, 200);
        assert!(wjw.body.contains("100.00%") && wjw.body.contains("class=\"formula\""));
        let period = office.get("/admin/periods/2026-10");
        assert!(
            period
                .body
                .contains("/admin/periods/2026-10/departments/JYJ?version=live")
        );
    }
}
