//! The authorization matrix: every admin route in `pingyi::web::admin::ROUTES` × every role and
//! an anonymous visitor. Built from the route table itself, so a new page is covered the moment
//! it is registered.

use pingyi::domain::account::Role;
use pingyi::web::admin::ROUTES;

use crate::fixtures::example_db;
use crate::helpers::{Client, Reply, TestApp, backends, signed_in_as};

/// Path parameters get a value that names nothing: allowed roles then see 404, never data.
fn concrete(path: &str) -> String {
    let mut out = String::new();
    let mut in_param = false;
    for c in path.chars() {
        match c {
            '{' => in_param = true,
            '}' => {
                in_param = false;
                out.push_str("999999");
            }
            _ if in_param => {}
            _ => out.push(c),
        }
    }
    out
}

/// A POST whose CSRF field is wrong, as a multipart body so upload forms read it too.
fn forged_post(client: &mut Client, path: &str) -> Reply {
    client.post_multipart(path, &[("csrf", "forged")], None)
}

fn check(who: &str, allowed: bool, method: &str, path: &str, reply: &Reply) {
    let start = reply.body.find("<main").unwrap_or(0);
    let excerpt: String = reply.body[start..].chars().take(300).collect();
    let what = format!("{who} {method} {path}: {} {excerpt}", reply.status);
    if !allowed {
        assert_eq!(reply.status, 403, "{what}");
        assert!(reply.body.contains("无权访问"), "{what}");
        return;
    }
    match method {
        "get" if path.contains('{') => assert!(matches!(reply.status, 200 | 404), "{what}"),
        "get" => assert_eq!(reply.status, 200, "{what}"),
        // Allowed, then stopped by the CSRF check: the role rule did not refuse it.
        _ => {
            assert_eq!(reply.status, 403, "{what}");
            assert!(reply.body.contains("页面已过期"), "{what}");
        }
    }
}

#[test]
fn every_admin_route_enforces_its_role_rule() {
    assert!(ROUTES.len() >= 2);
    for backend in backends() {
        let (db, _conn, _example) = example_db(backend);
        let app = TestApp::spawn(&db);
        let mut clients: Vec<(Role, Client)> = Role::ALL
            .into_iter()
            .map(|role| {
                let department = (role == Role::Department).then_some("JYJ");
                let (client, _) = signed_in_as(&app, &db, &format!("u-{role}"), role, department);
                (role, client)
            })
            .collect();
        let mut anonymous = app.client();
        for route in ROUTES {
            let path = concrete(route.path);
            let reply = match route.method {
                "get" => anonymous.get(&path),
                _ => forged_post(&mut anonymous, &path),
            };
            assert_eq!(
                (reply.status, reply.header("location")),
                (303, Some("/admin/login")),
                "anonymous {} {}",
                route.method,
                route.path
            );
            for (role, client) in &mut clients {
                let reply = match route.method {
                    "get" => client.get(&path),
                    _ => forged_post(client, &path),
                };
                let who = format!("{backend:?} {role}");
                check(&who, route.access.allows(*role), route.method, route.path, &reply);
            }
        }
    }
}
