//! Timestamps are stored as microseconds since the Unix epoch.

use chrono::{DateTime, Utc};

/// Now, in stored form.
pub fn now_us() -> i64 {
    Utc::now().timestamp_micros()
}

/// Stored form to protobuf.
pub fn to_proto(us: i64) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: us.div_euclid(1_000_000),
        nanos: i32::try_from(us.rem_euclid(1_000_000) * 1000).unwrap_or(0),
    }
}

/// Parses an RFC 3339 dateTime (a filter literal) to stored form.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(s).ok().map(|d| d.with_timezone(&Utc).timestamp_micros())
}
