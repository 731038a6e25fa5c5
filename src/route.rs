//! Which source a path names: `…/webhooks/{source}`.
//!
//! Any prefix may come before `/webhooks/` (an API Gateway stage, a custom
//! domain's base path). The path is matched as the front door gives it,
//! undecoded and strictly: no trailing slash, no empty, `.` or `..`
//! segment, no percent-encoding, a name exactly as configured. Anything
//! else names no source, and the caller answers it like an unknown name.

/// Longest path looked at; longer ones name no source.
const MAX_PATH: usize = 2048;

/// The source name `path` routes to, if it has the route's shape. The name
/// is not checked against the configured sources here.
pub fn source_name(path: &str) -> Option<&str> {
    if path.len() > MAX_PATH || !path.starts_with('/') || path.contains('%') {
        return None;
    }
    let mut segments = path[1..].split('/');
    let name = segments.next_back()?;
    if segments.next_back()? != "webhooks" {
        return None;
    }
    if segments.any(|segment| matches!(segment, "" | "." | "..")) {
        return None;
    }
    crate::config::valid_source_name(name).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::source_name;

    #[test]
    fn the_route_with_or_without_a_prefix() {
        assert_eq!(source_name("/webhooks/actigraph"), Some("actigraph"));
        assert_eq!(source_name("/prod/webhooks/bracken"), Some("bracken"));
        assert_eq!(source_name("/v1/hooks/webhooks/a-b_c"), Some("a-b_c"));
        assert_eq!(source_name("/webhooks/webhooks"), Some("webhooks"));
    }

    #[test]
    fn everything_else_names_no_source() {
        let long = format!("/webhooks/{}", "a".repeat(65));
        let huge = format!("/{}/webhooks/a", "x".repeat(3000));
        for path in [
            "",
            "/",
            "webhooks/a",
            "/webhooks",
            "/webhooks/",
            "/webhooks/a/",
            "/webhooks//a",
            "//webhooks/a",
            "/prod//webhooks/a",
            "/webhooks/A",
            "/Webhooks/a",
            "/webhook/a",
            "/webhooks/a%2Fb",
            "/webhooks%2Fa",
            "/webhooks/%61",
            "/webhooks/..",
            "/webhooks/.",
            "/../webhooks/a",
            "/x/./webhooks/a",
            "/webhooks/a b",
            "/webhooks/a.b",
            "/webhooks/é",
            "/webhooks/a?x=1",
            long.as_str(),
            huge.as_str(),
        ] {
            assert_eq!(source_name(path), None, "{path:?}");
        }
    }
}
