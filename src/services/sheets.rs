//! The scoring sheet of a period as a file: from live results, a given published version, or
//! the newest published version when there is one.

use crate::db::AnyConnection;
use crate::domain::period::Period;
pub use crate::exports::sheet::SheetStyle;
use crate::exports::sheet::{self, Source};
use crate::exports::{ExportError, Format};
use crate::services::results::{self, PeriodResults, ResultsError};

pub use crate::domain::vocabulary::Which;

pub struct SheetFile {
    pub filename: String,
    pub format: Format,
    pub bytes: Vec<u8>,
    pub source: Source,
    pub results: PeriodResults,
}

#[derive(Debug, thiserror::Error)]
pub enum SheetError {
    #[error(transparent)]
    Results(#[from] ResultsError),
    #[error(transparent)]
    Export(#[from] ExportError),
}

pub fn scoring_sheet(
    conn: &mut AnyConnection,
    style: &SheetStyle,
    period: &Period,
    which: Which,
    scheme: Option<&str>,
    format: Format,
) -> Result<SheetFile, SheetError> {
    let version = match which {
        Which::Live => None,
        Which::Published(v) => Some(v),
        Which::Newest => results::snapshots(conn, period)?.last().map(|s| s.version),
    };
    let (source, results) = match version {
        Some(v) => {
            let (meta, r) = results::snapshot(conn, period, v)?;
            (
                Source::Published {
                    version: meta.version,
                    checksum: meta.checksum,
                    published_at: meta.published_at,
                },
                r,
            )
        }
        None => (Source::Live, results::compute(conn, style.tz, period, scheme)?),
    };
    let bytes = match format {
        Format::Xlsx => sheet::to_xlsx(&results, &source, style)?,
        Format::Csv => sheet::to_csv(&results)?,
    };
    let suffix = match &source {
        Source::Live => "live".to_string(),
        Source::Published { version, .. } => format!("v{version}"),
    };
    Ok(SheetFile {
        filename: format!("pingyi-评分表-{period}-{suffix}.{}", format.extension()),
        format,
        bytes,
        source,
        results,
    })
}
