//! The request generator: grammar-shaped SCIM filters (valid and mutated),
//! PATCH documents, create and replace bodies (long strings at and beyond
//! the limits, wrong types, huge counts, unicode, nulls, nested garbage),
//! Bulk requests and query parameters. Deterministic for a seed.
//!
//! Requests name existing resources symbolically (`@@U3@@`, `@@G1@@`): each
//! stack substitutes its own ids, since the two stacks give different ids
//! to the same resources.

use e2e_tests::enc;
use fastrand::Rng;
use identity_core::domain::limits::{MAX_KEY_CHARS, MAX_MULTI_VALUES, MAX_TEXT_CHARS};
use serde_json::{Map, Value, json};

/// One generated request.
#[derive(Clone, Debug)]
pub struct Req {
    pub method: &'static str,
    pub path: String,
    /// Raw text: not always JSON.
    pub body: Option<String>,
    pub content_type: &'static str,
    pub if_match: Option<String>,
}

const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const BULK: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
const SEARCH: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";

const USER_ATTRS: &[&str] = &[
    "userName",
    "displayName",
    "nickName",
    "title",
    "userType",
    "externalId",
    "active",
    "locale",
    "timezone",
    "profileUrl",
    "preferredLanguage",
    "name",
    "name.givenName",
    "name.familyName",
    "name.formatted",
    "emails",
    "emails.value",
    "emails.type",
    "emails.primary",
    "phoneNumbers",
    "phoneNumbers.value",
    "addresses",
    "addresses.locality",
    "roles",
    "entitlements",
    "x509Certificates",
    "ims",
    "photos",
    "groups",
    "groups.value",
    "id",
    "meta",
    "meta.lastModified",
    "meta.created",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
    "nope",
    "emails[type eq \"work\"].value",
];
const GROUP_ATTRS: &[&str] =
    &["displayName", "externalId", "members", "members.value", "members.display", "id", "meta.lastModified", "bogus"];
const OPS: &[&str] = &["eq", "ne", "co", "sw", "ew", "gt", "lt", "ge", "le", "EQ", "Eq", "eqq", "in"];
const MULTI: &[&str] = &["emails", "phoneNumbers", "ims", "photos", "entitlements", "roles", "x509Certificates"];

pub struct Gen {
    rng: Rng,
    tag: u64,
}

impl Gen {
    pub fn new(seed: u64) -> Self {
        Self { rng: Rng::with_seed(seed), tag: 0 }
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.rng.usize(..items.len())]
    }

    fn chance(&mut self, percent: u32) -> bool {
        self.rng.u32(..100) < percent
    }

    fn fresh(&mut self) -> u64 {
        self.tag += 1;
        self.tag
    }

    fn user_ref(&mut self) -> String {
        format!("@@U{}@@", self.rng.usize(..64))
    }

    fn group_ref(&mut self) -> String {
        format!("@@G{}@@", self.rng.usize(..64))
    }

    /// A made-up UUID (the same on both stacks): names nothing.
    fn fake_id(&mut self) -> String {
        let n = self.rng.u128(..);
        uuid::Uuid::from_u128(n).to_string()
    }

    /// A string: short, at or around a limit, unicode, control characters.
    pub fn string(&mut self) -> String {
        match self.rng.u32(..20) {
            0..=7 => self.word(),
            8 => "x".repeat(MAX_KEY_CHARS),
            9 => "x".repeat(MAX_KEY_CHARS + 1),
            10 => "é".repeat(MAX_TEXT_CHARS),
            11 => "é".repeat(MAX_TEXT_CHARS + 1),
            12 => "a".repeat(self.rng.usize(..70_000)),
            13 => "\u{0}\u{1}\u{7f}\t\n\r".to_owned(),
            14 => "🧑‍💻👩🏽‍🚀".repeat(self.rng.usize(1..80)),
            15 => "ǅ\u{0301}\u{202e}İıßẞﬁ".to_owned(),
            16 => String::new(),
            17 => "   ".to_owned(),
            18 => "\"quoted\" and \\ backslash ') OR 1=1 --".to_owned(),
            _ => format!("{}@{}.example", self.word(), self.word()),
        }
    }

    fn word(&mut self) -> String {
        let n = self.rng.usize(1..12);
        (0..n).map(|_| self.rng.alphanumeric()).collect()
    }

    /// Any JSON value, sometimes deeply nested.
    fn garbage(&mut self, depth: u32) -> Value {
        match self.rng.u32(..12) {
            0 => Value::Null,
            1 => json!(self.rng.bool()),
            2 => json!(self.rng.i64(..)),
            3 => json!(self.rng.f64() * 1e300),
            4 => json!(-0.5),
            5..=6 => json!(self.string()),
            7 if depth < 6 => Value::Array((0..self.rng.usize(..4)).map(|_| self.garbage(depth + 1)).collect()),
            8 if depth < 6 => {
                let mut m = Map::new();
                for _ in 0..self.rng.usize(..4) {
                    let k = if self.chance(50) { self.pick(USER_ATTRS).to_owned() } else { self.string() };
                    m.insert(k, self.garbage(depth + 1));
                }
                Value::Object(m)
            }
            9 => json!(u64::MAX),
            10 => json!(""),
            _ => json!(self.word()),
        }
    }

    /// A value meant for attribute `attr`, mostly of the right type.
    fn value_for(&mut self, attr: &str) -> Value {
        if self.chance(15) {
            return self.garbage(0);
        }
        let base = attr.split(['.', '[']).next().unwrap_or(attr);
        match base {
            "active" | "primary" => json!(self.rng.bool()),
            "name" if !attr.contains('.') => {
                json!({"givenName": self.string(), "familyName": self.string(), "formatted": self.string()})
            }
            "emails" | "phoneNumbers" | "ims" | "photos" | "roles" | "entitlements" | "x509Certificates"
                if !attr.contains('.') =>
            {
                self.multi(base)
            }
            "addresses" if !attr.contains('.') => {
                let n = self.count();
                json!((0..n).map(|_| json!({"locality": self.string(), "type": "work"})).collect::<Vec<_>>())
            }
            "members" => self.members(),
            "groups" => json!([{"value": self.group_ref()}]),
            "meta" => json!({"created": "2026-01-01T00:00:00Z"}),
            _ => json!(self.string()),
        }
    }

    /// How many values a multi-valued attribute gets: usually few, now and
    /// then exactly at the limit, one beyond, or far beyond.
    fn count(&mut self) -> usize {
        match self.rng.u32(..40) {
            0 => MAX_MULTI_VALUES,
            1 => MAX_MULTI_VALUES + 1,
            2 => self.rng.usize(..3000),
            _ => self.rng.usize(..4),
        }
    }

    fn multi(&mut self, attr: &str) -> Value {
        let n = self.count();
        let mut primaries = 0;
        let values: Vec<Value> = (0..n)
            .map(|i| {
                // Long strings only in short lists: bodies stay under the edge's 1 MiB.
                let value = if attr == "emails" || n > 8 { format!("m{i}@x.example") } else { self.string() };
                let mut v = json!({ "value": value });
                if self.chance(20) {
                    v["type"] = json!(self.pick(&["work", "home", "other", ""]));
                }
                if primaries < 2 && self.chance(10) {
                    primaries += 1;
                    v["primary"] = json!(true);
                }
                if self.chance(5) {
                    v["display"] = self.garbage(0);
                }
                v
            })
            .collect();
        Value::Array(values)
    }

    fn members(&mut self) -> Value {
        let n = match self.rng.u32(..60) {
            0 => 10_001,
            1 => self.rng.usize(..2000),
            _ => self.rng.usize(..5),
        };
        let list: Vec<Value> = (0..n)
            .map(|_| match self.rng.u32(..10) {
                0..=4 => json!({"value": self.user_ref()}),
                5..=6 => json!({"value": self.group_ref(), "type": "Group"}),
                7 => json!({"value": self.fake_id()}),
                8 => json!({"value": self.string()}),
                _ => self.garbage(1),
            })
            .collect();
        Value::Array(list)
    }

    /// A User body for POST or PUT.
    fn user(&mut self) -> Value {
        let mut u = Map::new();
        if !self.chance(5) {
            u.insert("schemas".into(), json!([USER_SCHEMA, ENTERPRISE]));
        }
        if !self.chance(5) {
            let name =
                if self.chance(80) { format!("h{}-{}@x.example", self.fresh(), self.word()) } else { self.string() };
            u.insert("userName".into(), json!(name));
        }
        for _ in 0..self.rng.usize(..6) {
            let attr = self.pick(USER_ATTRS);
            if attr.contains('[') || attr.contains('.') && !attr.starts_with("urn:") {
                continue;
            }
            let value = self.value_for(attr);
            if let Some(rest) = attr.strip_prefix(&format!("{ENTERPRISE}:")) {
                let entry = u.entry(ENTERPRISE.to_owned()).or_insert_with(|| json!({}));
                let key = rest.split('.').next().unwrap_or(rest);
                let v = if key == "manager" { json!({"value": self.user_ref()}) } else { value };
                if let Some(m) = entry.as_object_mut() {
                    m.insert(key.to_owned(), v);
                }
            } else {
                u.insert(attr.to_owned(), value);
            }
        }
        if self.chance(10) {
            u.insert("password".into(), json!(self.string()));
        }
        Value::Object(u)
    }

    /// A Group body for POST or PUT.
    fn group(&mut self) -> Value {
        let mut g = Map::new();
        g.insert("schemas".into(), json!([GROUP_SCHEMA]));
        if !self.chance(5) {
            let name = if self.chance(80) { format!("G{}-{}", self.fresh(), self.word()) } else { self.string() };
            g.insert("displayName".into(), json!(name));
        }
        if self.chance(40) {
            g.insert("members".into(), self.members());
        }
        if self.chance(20) {
            g.insert("externalId".into(), json!(self.string()));
        }
        if self.chance(10) {
            let k = self.pick(GROUP_ATTRS);
            let v = self.garbage(0);
            g.insert(k.to_owned(), v);
        }
        Value::Object(g)
    }

    /// A filter: valid grammar, sometimes mutated.
    pub fn filter(&mut self, attrs: &[&str]) -> String {
        let f = self.expr(attrs, 0);
        if self.chance(25) { self.mutate(&f) } else { f }
    }

    fn expr(&mut self, attrs: &[&str], depth: u32) -> String {
        match self.rng.u32(..10) {
            0..=4 => self.term(attrs),
            5..=6 if depth < 4 => {
                let (a, b) = (self.expr(attrs, depth + 1), self.expr(attrs, depth + 1));
                format!("{a} {} {b}", self.pick(&["and", "or", "AND", "Or"]))
            }
            7 if depth < 4 => format!("not ({})", self.expr(attrs, depth + 1)),
            8 if depth < 4 => format!("({})", self.expr(attrs, depth + 1)),
            _ => {
                let multi = self.pick(&["emails", "members", "phoneNumbers", "addresses", "groups"]);
                let inner = self.term(&["value", "type", "primary", "display", "locality"]);
                format!("{multi}[{inner}]")
            }
        }
    }

    fn term(&mut self, attrs: &[&str]) -> String {
        let attr = self.pick(attrs);
        if self.chance(15) {
            return format!("{attr} pr");
        }
        let op = self.pick(OPS);
        let value = match self.rng.u32(..10) {
            0 => "true".to_owned(),
            1 => "null".to_owned(),
            2 => self.rng.i64(..).to_string(),
            3 => "\"2026-12-01T00:00:00Z\"".to_owned(),
            4 => format!("\"{}\"", self.user_ref()),
            5 => "1.5e308".to_owned(),
            _ => serde_json::to_string(&self.string().chars().take(300).collect::<String>()).unwrap_or_default(),
        };
        format!("{attr} {op} {value}")
    }

    fn mutate(&mut self, s: &str) -> String {
        let mut chars: Vec<char> = s.chars().collect();
        for _ in 0..self.rng.usize(1..4) {
            let at = self.rng.usize(..=chars.len());
            match self.rng.u32(..4) {
                0 if at < chars.len() => {
                    chars.remove(at);
                }
                1 => chars.insert(at, self.pick(&['(', ')', '[', ']', '"', '\\', ' ', '.', ':', ','])),
                2 => chars.truncate(at),
                _ => {
                    let copy: Vec<char> = chars[..at].to_vec();
                    chars.extend(copy);
                }
            }
        }
        chars.into_iter().collect()
    }

    /// Query parameters of a list request.
    fn query(&mut self, attrs: &[&str]) -> String {
        let mut q = Vec::new();
        let num = |g: &mut Self| -> String {
            match g.rng.u32(..8) {
                0 => "-1".into(),
                1 => "0".into(),
                2 => "99999999999999999999".into(),
                3 => "abc".into(),
                4 => "1.5".into(),
                _ => g.rng.u32(1..200).to_string(),
            }
        };
        if self.chance(50) {
            let f = self.filter(attrs);
            q.push(format!("filter={}", enc(&f)));
        }
        if self.chance(30) {
            q.push(format!("startIndex={}", num(self)));
        }
        if self.chance(40) {
            q.push(format!("count={}", num(self)));
        }
        if self.chance(20) {
            q.push(format!("sortBy={}", enc(self.pick(attrs))));
            q.push(format!("sortOrder={}", self.pick(&["ascending", "descending", "sideways"])));
        }
        if self.chance(20) {
            let a = self.pick(attrs);
            q.push(format!("attributes={}", enc(a)));
        }
        if self.chance(15) {
            let a = self.pick(attrs);
            q.push(format!("excludedAttributes={}", enc(a)));
        }
        if self.chance(10) {
            let c = match self.rng.u32(..3) {
                0 => String::new(),
                1 => self.word(),
                _ => "A".repeat(self.rng.usize(..5000)),
            };
            q.push(format!("cursor={}", enc(&c)));
        }
        if q.is_empty() { String::new() } else { format!("?{}", q.join("&")) }
    }

    /// A PatchOp for a user or a group.
    fn patch(&mut self, group: bool) -> Value {
        let attrs = if group { GROUP_ATTRS } else { USER_ATTRS };
        let n = if self.chance(3) { self.rng.usize(..1200) } else { self.rng.usize(..4) };
        let ops: Vec<Value> = (0..n)
            .map(|_| {
                let op = self.pick(&["add", "replace", "remove", "Add", "REPLACE", "move"]);
                let mut o = json!({"op": op});
                match self.rng.u32(..6) {
                    0 => {
                        let mut m = Map::new();
                        for _ in 0..self.rng.usize(..3) {
                            let a = self.pick(attrs);
                            let v = self.value_for(a);
                            m.insert(a.to_owned(), v);
                        }
                        o["value"] = Value::Object(m);
                    }
                    1 => {
                        let multi = if group { "members" } else { self.pick(MULTI) };
                        let inner = self.term(&["value", "type", "primary"]);
                        o["path"] = json!(format!("{multi}[{inner}]"));
                        if self.chance(50) {
                            o["value"] = self.value_for("value");
                        }
                    }
                    _ => {
                        let a = self.pick(attrs);
                        o["path"] = json!(a);
                        if !op.eq_ignore_ascii_case("remove") || self.chance(20) {
                            o["value"] = self.value_for(a);
                        }
                    }
                }
                o
            })
            .collect();
        let mut doc = json!({"Operations": ops});
        if !self.chance(10) {
            doc["schemas"] = json!([PATCH_OP]);
        }
        doc
    }

    /// A Bulk request of a few operations, bulkId references included.
    fn bulk(&mut self) -> Value {
        let n = self.rng.usize(..6);
        let ops: Vec<Value> = (0..n)
            .map(|i| {
                let group = self.chance(40);
                let kind = if group { "Groups" } else { "Users" };
                let target = if group { self.group_ref() } else { self.user_ref() };
                let (method, path, data) = match self.rng.u32(..6) {
                    0 | 1 => ("POST", format!("/{kind}"), Some(if group { self.group() } else { self.user() })),
                    2 => ("PUT", format!("/{kind}/{target}"), Some(if group { self.group() } else { self.user() })),
                    3 => ("PATCH", format!("/{kind}/{target}"), Some(self.patch(group))),
                    4 => ("DELETE", format!("/{kind}/{}", self.fake_id()), None),
                    _ => (self.pick(&["GET", "POST"]), format!("/{kind}/bulkId:b{}", self.rng.usize(..6)), None),
                };
                let mut op = json!({"method": method, "path": path, "bulkId": format!("b{i}")});
                if let Some(d) = data {
                    op["data"] = d;
                }
                if self.chance(5) {
                    op["data"] = self.garbage(0);
                }
                op
            })
            .collect();
        let mut b = json!({"schemas": [BULK], "Operations": ops});
        if self.chance(20) {
            b["failOnErrors"] = self.garbage(0);
        }
        b
    }

    /// Largest body generated: bodies over the edge's limit (1 MiB) get a
    /// 413 without being read, which `tests/e2e/errors.rs` covers.
    const MAX_BODY: usize = 900 * 1024;

    /// The next request.
    pub fn next(&mut self) -> Req {
        loop {
            let req = self.any();
            // Each `@@U3@@` becomes a 36-character id.
            let size = |b: &String| b.len() + b.matches("@@").count() / 2 * 36;
            if req.body.as_ref().is_none_or(|b| size(b) <= Self::MAX_BODY) {
                return req;
            }
        }
    }

    fn any(&mut self) -> Req {
        let json_body = |v: Value| Some(v.to_string());
        let mut req = Req {
            method: "GET",
            path: String::new(),
            body: None,
            content_type: "application/scim+json",
            if_match: None,
        };
        match self.rng.u32(..100) {
            0..=19 => {
                req.method = "POST";
                req.path = "/Users".into();
                req.body = json_body(self.user());
            }
            20..=29 => {
                req.method = "POST";
                req.path = "/Groups".into();
                req.body = json_body(self.group());
            }
            30..=35 => {
                req.method = "PUT";
                req.path = format!("/Users/{}", self.user_ref());
                req.body = json_body(self.user());
            }
            36..=38 => {
                req.method = "PUT";
                req.path = format!("/Groups/{}", self.group_ref());
                req.body = json_body(self.group());
            }
            39..=50 => {
                req.method = "PATCH";
                req.path = format!("/Users/{}", self.user_ref());
                req.body = json_body(self.patch(false));
            }
            51..=58 => {
                req.method = "PATCH";
                req.path = format!("/Groups/{}", self.group_ref());
                req.body = json_body(self.patch(true));
            }
            59..=70 => {
                let q = self.query(USER_ATTRS);
                req.path = format!("/Users{q}");
            }
            71..=76 => {
                let q = self.query(GROUP_ATTRS);
                req.path = format!("/Groups{q}");
            }
            77..=81 => {
                req.method = "POST";
                let group = self.chance(30);
                req.path = if group { "/Groups/.search".into() } else { "/Users/.search".into() };
                let attrs = if group { GROUP_ATTRS } else { USER_ATTRS };
                let mut s = json!({"schemas": [SEARCH]});
                if self.chance(80) {
                    s["filter"] = json!(self.filter(attrs));
                }
                if self.chance(30) {
                    s["startIndex"] = self.garbage(0);
                }
                if self.chance(30) {
                    s["count"] = if self.chance(50) { json!(self.rng.i64(-5..2000)) } else { self.garbage(0) };
                }
                if self.chance(20) {
                    s["attributes"] = json!([self.pick(attrs)]);
                }
                if self.chance(20) {
                    s["sortBy"] = json!(self.pick(attrs));
                }
                req.body = json_body(s);
            }
            82..=87 => {
                req.method = "POST";
                req.path = "/Bulk".into();
                req.body = json_body(self.bulk());
            }
            88..=90 => {
                let (kind, id) =
                    if self.chance(50) { ("Users", self.user_ref()) } else { ("Groups", self.group_ref()) };
                let attrs = if kind == "Users" { USER_ATTRS } else { GROUP_ATTRS };
                let q = if self.chance(50) { format!("?attributes={}", enc(self.pick(attrs))) } else { String::new() };
                req.path = format!("/{kind}/{id}{q}");
            }
            91 => {
                req.method = "DELETE";
                let (kind, id) =
                    if self.chance(50) { ("Users", self.user_ref()) } else { ("Groups", self.group_ref()) };
                req.path = format!("/{kind}/{id}");
            }
            92..=93 => {
                req.path = self
                    .pick(&["/ServiceProviderConfig", "/Schemas", "/ResourceTypes", "/Me", "/Users/.search"])
                    .into();
            }
            _ => {
                // Raw garbage bodies: invalid JSON, deep nesting, wrong
                // content types, lone surrogates.
                req.method = self.pick(&["POST", "PUT", "PATCH"]);
                req.path = self.pick(&["/Users", "/Groups", "/Bulk", "/Users/@@U0@@", "/Groups/@@G0@@"]).into();
                let depth = self.rng.usize(..300);
                req.body = Some(match self.rng.u32(..6) {
                    0 => format!("{}{}", "[".repeat(depth), "]".repeat(depth)),
                    1 => "{\"userName\": \"\\ud800\"}".into(),
                    2 => self.string(),
                    3 => "{\"userName\": \"a\", \"userName\": \"b\"}".into(),
                    4 => format!("{{\"displayName\": {}}}", "{\"a\":".repeat(depth) + "1" + &"}".repeat(depth)),
                    _ => String::new(),
                });
                if self.chance(30) {
                    req.content_type = self.pick(&["text/plain", "application/json", "application/xml", ""]);
                }
            }
        }
        if matches!(req.method, "PUT" | "PATCH" | "DELETE") && self.chance(10) {
            req.if_match = Some(format!("W/\"{}\"", self.rng.u32(..4)));
        }
        req
    }
}
