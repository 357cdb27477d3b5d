//! The filter language and sorting against known data. Expected results are
//! worked out here, from the data, by plain Rust predicates, independently
//! of the code under test.

use std::cmp::Ordering;

use e2e_tests::{TestApp, e2e, enc, json};
use reqwest::StatusCode;
use serde_json::Value;

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// One user of the data set.
#[derive(Clone, Debug)]
struct Person {
    user_name: &'static str,
    family: &'static str,
    title: Option<&'static str>,
    active: bool,
    work: Option<&'static str>,
    home: Option<&'static str>,
    dept: Option<&'static str>,
    ext: &'static str,
}

/// Which people a filter should match.
type Predicate = Box<dyn Fn(&Person) -> bool>;

fn people() -> Vec<Person> {
    let p = |user_name, family, title, active, work, home, dept, ext| Person {
        user_name,
        family,
        title,
        active,
        work,
        home,
        dept,
        ext,
    };
    vec![
        p(
            "alice@acme.com",
            "Anders",
            Some("Senior Engineer"),
            true,
            Some("alice@acme.com"),
            None,
            Some("Engineering"),
            "E1",
        ),
        p(
            "Bob@acme.com",
            "baker",
            Some("Engineer"),
            true,
            Some("bob@acme.com"),
            Some("bob@home.example"),
            Some("Engineering"),
            "E2",
        ),
        p("carol@globex.com", "Chen", Some("Sales Lead"), false, Some("carol@globex.com"), None, Some("Sales"), "e3"),
        p("dave@acme.com", "Diaz", None, true, None, Some("dave@home.example"), None, "E4"),
        p("erin@acme.com", "evans", Some("Senior Sales Rep"), true, Some("erin@ACME.com"), None, Some("Sales"), "E5"),
        p(
            "frank@initech.com",
            "Fischer",
            Some("Engineer"),
            false,
            Some("frank@initech.com"),
            Some("f@home.example"),
            None,
            "E6",
        ),
        p(
            "gina@acme.com",
            "Gomez",
            Some("engineering manager"),
            true,
            Some("gina@acme.com"),
            None,
            Some("engineering"),
            "E7",
        ),
        p("hank@acme.com", "Müller", None, true, Some("hank@acme.com"), None, Some("Support"), "E8"),
    ]
}

fn body(p: &Person) -> Value {
    let mut emails = Vec::new();
    if let Some(w) = p.work {
        emails.push(json!({"value": w, "type": "work", "primary": true}));
    }
    if let Some(h) = p.home {
        emails.push(json!({"value": h, "type": "home"}));
    }
    let mut b = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
        "userName": p.user_name,
        "externalId": p.ext,
        "name": {"familyName": p.family, "givenName": "G"},
        "active": p.active,
        "emails": emails,
    });
    if let Some(t) = p.title {
        b["title"] = json!(t);
    }
    if let Some(d) = p.dept {
        b[ENTERPRISE] = json!({"department": d});
    }
    b
}

/// Creates the data set; returns (person, id, meta.created) in creation order.
async fn load(app: &TestApp) -> Vec<(Person, String, String)> {
    let mut out = Vec::new();
    for p in people() {
        let a = app.post("/Users", body(&p)).await;
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
        out.push((
            p,
            a.body["id"].as_str().unwrap().to_owned(),
            a.body["meta"]["created"].as_str().unwrap().to_owned(),
        ));
        // Distinct creation instants, so dateTime comparisons have a gap.
        tokio::time::sleep(std::time::Duration::from_millis(3)).await;
    }
    out
}

/// userNames matched by `filter`, sorted (and totalResults checked).
async fn matched(app: &TestApp, filter: &str) -> Vec<String> {
    let a = app.get(&format!("/Users?count=1000&filter={}", enc(filter))).await;
    assert_eq!(a.status, StatusCode::OK, "{filter}: {}", a.body);
    let mut names: Vec<String> =
        a.body["Resources"].as_array().unwrap().iter().map(|r| r["userName"].as_str().unwrap().to_owned()).collect();
    assert_eq!(a.body["totalResults"], names.len(), "{filter}");
    names.sort();
    names
}

fn expect(data: &[(Person, String, String)], pred: impl Fn(&Person) -> bool) -> Vec<String> {
    let mut names: Vec<String> =
        data.iter().filter(|(p, _, _)| pred(p)).map(|(p, _, _)| p.user_name.to_owned()).collect();
    names.sort();
    names
}

fn ci(s: &str) -> String {
    s.to_lowercase()
}

e2e!(every_operator_matches_what_the_data_says, |app| {
    let data = load(&app).await;
    let opt = |o: Option<&str>, f: &dyn Fn(&str) -> bool| o.is_some_and(f);
    let dept_eq = format!(r#"{ENTERPRISE}:department eq "engineering""#);
    let dept_pr = format!("{ENTERPRISE}:department pr");
    let cases: Vec<(&str, Predicate)> = vec![
        (r#"userName eq "BOB@ACME.COM""#, Box::new(|p| ci(p.user_name) == "bob@acme.com")),
        (r#"userName ne "bob@acme.com""#, Box::new(|p| ci(p.user_name) != "bob@acme.com")),
        (r#"userName co "ACME""#, Box::new(|p| ci(p.user_name).contains("acme"))),
        (r#"userName sw "b""#, Box::new(|p| ci(p.user_name).starts_with('b'))),
        (r#"userName ew "@acme.com""#, Box::new(|p| ci(p.user_name).ends_with("@acme.com"))),
        (r#"name.familyName gt "d""#, Box::new(|p| ci(p.family).as_str() > "d")),
        (r#"name.familyName ge "diaz""#, Box::new(|p| ci(p.family).as_str() >= "diaz")),
        (r#"name.familyName lt "Chen""#, Box::new(|p| ci(p.family).as_str() < "chen")),
        (r#"name.familyName le "CHEN""#, Box::new(|p| ci(p.family).as_str() <= "chen")),
        (r#"title co "engineer""#, Box::new(move |p| opt(p.title, &|t| ci(t).contains("engineer")))),
        (r#"title sw "senior""#, Box::new(move |p| opt(p.title, &|t| ci(t).starts_with("senior")))),
        (r#"title ew "Rep""#, Box::new(move |p| opt(p.title, &|t| ci(t).ends_with("rep")))),
        (r#"title ne "Engineer""#, Box::new(|p| p.title.is_none_or(|t| ci(t) != "engineer"))),
        ("title pr", Box::new(|p| p.title.is_some())),
        ("not (title pr)", Box::new(|p| p.title.is_none())),
        ("title eq null", Box::new(|p| p.title.is_none())),
        ("active eq false", Box::new(|p| !p.active)),
        ("ACTIVE EQ TRUE", Box::new(|p| p.active)),
        (r#"externalId eq "E3""#, Box::new(|_| false)),
        (r#"externalId eq "e3""#, Box::new(|p| p.ext == "e3")),
        (
            r#"emails[type eq "work" and value ew "@acme.com"]"#,
            Box::new(move |p| opt(p.work, &|w| ci(w).ends_with("@acme.com"))),
        ),
        (r#"emails[type eq "home"].value co "HOME""#, Box::new(|p| p.home.is_some())),
        (r#"emails[type eq "work"].value eq "ERIN@acme.com""#, Box::new(|p| p.user_name == "erin@acme.com")),
        (r#"emails.value sw "f""#, Box::new(|p| [p.work, p.home].iter().flatten().any(|e| e.starts_with('f')))),
        (r#"emails co "globex""#, Box::new(|p| [p.work, p.home].iter().flatten().any(|e| e.contains("globex")))),
        ("emails pr", Box::new(|p| p.work.is_some() || p.home.is_some())),
        (r#"emails[type eq "home"]"#, Box::new(|p| p.home.is_some())),
        (r#"not (emails[type eq "home"])"#, Box::new(|p| p.home.is_none())),
        (dept_eq.as_str(), Box::new(move |p| opt(p.dept, &|d| ci(d) == "engineering"))),
        (dept_pr.as_str(), Box::new(|p| p.dept.is_some())),
        (
            r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "A""#,
            Box::new(|p| ci(p.user_name).starts_with('a')),
        ),
        (
            r#"(title co "sales" or title co "engineer") and not (active eq false) and userName ew "acme.com""#,
            Box::new(move |p| {
                opt(p.title, &|t| ci(t).contains("sales") || ci(t).contains("engineer"))
                    && p.active
                    && ci(p.user_name).ends_with("acme.com")
            }),
        ),
        (r#"name.familyName eq "MÜLLER" or name.familyName eq "müller""#, Box::new(|p| p.family == "Müller")),
        ("name pr", Box::new(|_| true)),
    ];
    for (filter, pred) in &cases {
        assert_eq!(matched(&app, filter).await, expect(&data, pred), "{filter}");
    }

    // dateTime comparisons against the creation instants.
    let (_, _, fourth) = &data[3];
    let after: Vec<String> = {
        let mut v: Vec<String> = data[4..].iter().map(|(p, _, _)| p.user_name.to_owned()).collect();
        v.sort();
        v
    };
    assert_eq!(matched(&app, &format!(r#"meta.created gt "{fourth}""#)).await, after);
    assert_eq!(matched(&app, &format!(r#"meta.lastModified le "{fourth}""#)).await.len(), 4);
    assert_eq!(matched(&app, r#"meta.lastModified gt "2000-01-01T00:00:00Z""#).await.len(), data.len());

    // Type errors and unknown attributes: 400 invalidFilter with a detail.
    for bad in [
        "active gt true",
        r#"title gt 5"#,
        r#"meta.created gt "not a date""#,
        r#"emails[nope eq "x"]"#,
        r#"name eq "x""#,
        "nope pr",
        r#"userName eq "x" and"#,
    ] {
        let a = app.get(&format!("/Users?filter={}", enc(bad))).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(a.body["scimType"], "invalidFilter", "{bad}: {}", a.body);
        assert!(a.body["detail"].as_str().is_some_and(|d| !d.is_empty()));
    }
});

/// userNames in the order listed.
async fn listed(app: &TestApp, query: &str) -> Vec<String> {
    let a = app.get(&format!("/Users?count=1000&{query}")).await;
    assert_eq!(a.status, StatusCode::OK, "{query}: {}", a.body);
    a.body["Resources"].as_array().unwrap().iter().map(|r| r["userName"].as_str().unwrap().to_owned()).collect()
}

/// The expected order: by `key` (None first ascending, last descending),
/// ties by id ascending.
fn sorted(data: &[(Person, String, String)], key: impl Fn(&Person) -> Option<String>, descending: bool) -> Vec<String> {
    let mut rows: Vec<(Option<String>, String, String)> =
        data.iter().map(|(p, id, _)| (key(p), id.clone(), p.user_name.to_owned())).collect();
    rows.sort_by(|a, b| {
        let by_key = match (&a.0, &b.0) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Less,
            (Some(_), None) => Ordering::Greater,
            (Some(x), Some(y)) => x.cmp(y),
        };
        let by_key = if descending { by_key.reverse() } else { by_key };
        by_key.then_with(|| a.1.cmp(&b.1))
    });
    rows.into_iter().map(|r| r.2).collect()
}

e2e!(sorting_orders_by_any_singular_attribute_with_ties_by_id, |app| {
    let data = load(&app).await;
    let ascii_lower = |s: &str| s.to_lowercase();
    assert_eq!(listed(&app, "sortBy=userName").await, sorted(&data, |p| Some(ascii_lower(p.user_name)), false));
    assert_eq!(
        listed(&app, "sortBy=name.familyName&sortOrder=descending").await,
        sorted(&data, |p| Some(ascii_lower(p.family)), true)
    );
    assert_eq!(listed(&app, "sortBy=title").await, sorted(&data, |p| p.title.map(ascii_lower), false));
    assert_eq!(
        listed(&app, "sortBy=TITLE&sortOrder=DESCENDING").await,
        sorted(&data, |p| p.title.map(ascii_lower), true)
    );
    assert_eq!(
        listed(&app, &format!("sortBy={}", enc(&format!("{ENTERPRISE}:department")))).await,
        sorted(&data, |p| p.dept.map(ascii_lower), false)
    );
    assert_eq!(listed(&app, "sortBy=externalId").await, sorted(&data, |p| Some(p.ext.to_owned()), false));
    let by_created: Vec<String> = data.iter().rev().map(|(p, _, _)| p.user_name.to_owned()).collect();
    assert_eq!(listed(&app, "sortBy=meta.created&sortOrder=descending").await, by_created);
    assert_eq!(
        listed(&app, "sortBy=active").await,
        sorted(&data, |p| Some(if p.active { "1" } else { "0" }.to_owned()), false)
    );
    // Sorting with a filter and index paging.
    let page = app
        .get(&format!("/Users?filter={}&sortBy=userName&startIndex=2&count=2", enc("userName ew \"acme.com\"")))
        .await;
    let expected: Vec<String> = sorted(&data, |p| Some(ascii_lower(p.user_name)), false)
        .into_iter()
        .filter(|n| n.to_lowercase().ends_with("acme.com"))
        .skip(1)
        .take(2)
        .collect();
    let got: Vec<&str> =
        page.body["Resources"].as_array().unwrap().iter().map(|r| r["userName"].as_str().unwrap()).collect();
    assert_eq!(got, expected);

    for bad in ["sortBy=emails", "sortBy=name", "sortBy=nope", "sortBy=userName&sortOrder=sideways"] {
        let a = app.get(&format!("/Users?{bad}")).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(a.body["scimType"], "invalidValue", "{bad}");
    }
    let search =
        app.post("/Users/.search", json!({"sortBy": "name.familyName", "sortOrder": "descending", "count": 2})).await;
    let got: Vec<&str> =
        search.body["Resources"].as_array().unwrap().iter().map(|r| r["userName"].as_str().unwrap()).collect();
    assert_eq!(got, sorted(&data, |p| Some(ascii_lower(p.family)), true)[..2]);
});

e2e!(group_filters_and_sorting, |app| {
    let data = load(&app).await;
    let ids: Vec<String> = data.iter().map(|(_, id, _)| id.clone()).collect();
    for (name, members) in [("Zeta", vec![0, 1]), ("alpha", vec![]), ("Beta", vec![2])] {
        let members: Vec<Value> = members.iter().map(|i: &usize| json!({"value": ids[*i]})).collect();
        let a = app.post("/Groups", json!({"displayName": name, "members": members})).await;
        assert_eq!(a.status, StatusCode::CREATED);
    }
    let names = |a: &e2e_tests::Answer| -> Vec<String> {
        a.body["Resources"].as_array().unwrap().iter().map(|r| r["displayName"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(
        names(&app.get("/Groups?sortBy=displayName&excludedAttributes=members").await),
        ["alpha", "Beta", "Zeta"]
    );
    assert_eq!(names(&app.get(&format!("/Groups?filter={}", enc("members pr"))).await).len(), 2);
    assert_eq!(
        names(&app.get(&format!("/Groups?filter={}", enc(&format!("members eq \"{}\"", ids[2])))).await),
        ["Beta"]
    );
    assert_eq!(
        names(&app.get(&format!("/Groups?filter={}", enc(&format!("members[value eq \"{}\"]", ids[1])))).await),
        ["Zeta"]
    );
    assert_eq!(
        names(&app.get(&format!("/Groups?filter={}", enc("displayName sw \"B\" or displayName eq \"ZETA\""))).await)
            .len(),
        2
    );
    let user = app
        .get(&format!(
            "/Users?filter={}",
            enc(&format!("groups eq \"{}\"", {
                let z = app.get(&format!("/Groups?filter={}", enc("displayName eq \"zeta\""))).await;
                z.body["Resources"][0]["id"].as_str().unwrap().to_owned()
            }))
        ))
        .await;
    assert_eq!(user.body["totalResults"], 2);
});
