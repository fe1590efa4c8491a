//! Reading the CORS settings: origins normalised to the exact form browsers
//! send in `Origin`, and extra request header names, each refused at start
//! with the offending value named. It never builds the CORS layer (that is
//! the transport's) and never lets a malformed entry through silently: an
//! entry that could never match a browser's `Origin` is an error.

use url::Url;

/// The `cors_origins` setting, normalised: `["*"]` (any origin) or each
/// origin as `scheme://host[:port]` — scheme and host lower case, no
/// trailing slash, no default port — in the order given, duplicates and
/// blank entries (a trailing comma) dropped.
pub fn origins(raw: &[String]) -> anyhow::Result<Vec<String>> {
    let entries: Vec<&str> = raw
        .iter()
        .map(|o| o.trim())
        .filter(|o| !o.is_empty())
        .collect();
    if entries.contains(&"*") {
        if entries.len() > 1 {
            anyhow::bail!(
                "cors_origins: give either \"*\" (any origin) or a list of origins, not both"
            );
        }
        return Ok(vec!["*".to_string()]);
    }
    let mut normalised: Vec<String> = Vec::with_capacity(entries.len());
    for entry in entries {
        let origin =
            origin(entry).map_err(|why| anyhow::anyhow!("cors_origins: {entry:?} {why}"))?;
        if !normalised.contains(&origin) {
            normalised.push(origin);
        }
    }
    Ok(normalised)
}

/// One web origin as a browser serialises it in `Origin`.
fn origin(entry: &str) -> Result<String, String> {
    const FORM: &str = "(write it as scheme://host[:port], e.g. https://shop.example.com:8443)";
    let url = Url::parse(entry).map_err(|e| format!("is not an origin: {e} {FORM}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("is not an http or https origin {FORM}"));
    }
    if url.host().is_none() {
        return Err(format!("has no host {FORM}"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!(
            "carries credentials, which an origin never has {FORM}"
        ));
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(format!(
            "has a path, query or fragment, which an origin never has {FORM}"
        ));
    }
    Ok(url.origin().ascii_serialization())
}

/// The `cors_allow_headers` setting: request header names lower-cased, or
/// `["*"]` (whatever a preflight asks for), duplicates and blanks dropped.
pub fn headers(raw: &[String]) -> anyhow::Result<Vec<String>> {
    let mut names: Vec<String> = Vec::with_capacity(raw.len());
    for entry in raw.iter().map(|h| h.trim()).filter(|h| !h.is_empty()) {
        let name = if entry == "*" {
            "*".to_string()
        } else {
            http::HeaderName::from_bytes(entry.as_bytes())
                .map_err(|_| {
                    anyhow::anyhow!("cors_allow_headers: {entry:?} is not an HTTP header name")
                })?
                .as_str()
                .to_string()
        };
        if !names.contains(&name) {
            names.push(name);
        }
    }
    if names.len() > 1 && names.iter().any(|n| n == "*") {
        anyhow::bail!(
            "cors_allow_headers: give either \"*\" (any header) or a list of names, not both"
        );
    }
    Ok(names)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn list(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_string()).collect()
    }

    #[test]
    fn origins_are_trimmed_lower_cased_and_lose_trailing_slashes_and_default_ports() {
        let parsed = origins(&list(&[
            "https://a.example",
            " https://b.example",
            "HTTPS://Shop.Example.COM/",
            "http://localhost:5173 ",
            "https://c.example:443",
            "https://a.example/",
            "",
        ]))
        .unwrap();
        assert_eq!(
            parsed,
            [
                "https://a.example",
                "https://b.example",
                "https://shop.example.com",
                "http://localhost:5173",
                "https://c.example",
            ]
        );
    }

    #[test]
    fn malformed_origins_are_refused_naming_the_entry() {
        for bad in [
            "a.example",
            "localhost:3000",
            "ftp://a.example",
            "https://a.example/app",
            "https://a.example?x=1",
            "https://user@a.example",
            "https://",
            "null",
        ] {
            let error = origins(&list(&["https://ok.example", bad]))
                .unwrap_err()
                .to_string();
            assert!(error.contains(&format!("{bad:?}")), "{bad}: {error}");
            assert!(error.starts_with("cors_origins: "), "{error}");
        }
    }

    #[test]
    fn any_origin_stands_alone() {
        assert_eq!(origins(&list(&[" * "])).unwrap(), ["*"]);
        assert!(origins(&list(&["*", "https://a.example"])).is_err());
        assert!(origins(&[]).unwrap().is_empty());
    }

    #[test]
    fn header_names_are_lower_cased_and_checked() {
        assert_eq!(
            headers(&list(&[" X-Tenant ", "x-tenant", "Sentry-Trace", ""])).unwrap(),
            ["x-tenant", "sentry-trace"]
        );
        assert_eq!(headers(&list(&["*"])).unwrap(), ["*"]);
        for bad in ["x tenant", "x-tenant:", "ä"] {
            let error = headers(&list(&[bad])).unwrap_err().to_string();
            assert!(error.contains(&format!("{bad:?}")), "{error}");
        }
        assert!(headers(&list(&["*", "x-tenant"])).is_err());
    }
}
