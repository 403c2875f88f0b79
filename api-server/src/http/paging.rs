//! Query parameters shared by paginated admin lists.

use super::problem::Problem;
use crate::domain::Cursor;
use crate::domain::search::parse_limit;

/// Parses `limit` (default 20, capped at 100) and `cursor` (opaque, from `next_cursor`).
pub fn page_params(
    limit: Option<&str>,
    cursor: Option<&str>,
) -> Result<(u32, Option<Cursor>), Problem> {
    let limit = parse_limit(limit.filter(|s| !s.trim().is_empty()))
        .map_err(|e| Problem::invalid_parameter(e.to_string()))?;
    let cursor = cursor
        .filter(|s| !s.trim().is_empty())
        .map(Cursor::decode)
        .transpose()
        .map_err(|e| Problem::invalid_parameter(format!("cursor: {e}")))?;
    Ok((limit, cursor))
}
