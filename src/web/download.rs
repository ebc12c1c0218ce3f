//! File downloads shared by the API and the console: the attachment header, and raw responses
//! streamed from a blocking database thread so a million rows need no more memory than ten.

use std::io::Write;

use actix_web::HttpResponse;
use actix_web::http::header;
use bytes::Bytes;
use tokio::sync::mpsc;

use crate::db::responses::ResponseFilter;
use crate::exports::{self, Format};
use crate::web::AppState;

/// `attachment; filename*=UTF-8''…` so Chinese file names survive every browser.
pub fn attachment(filename: &str) -> (header::HeaderName, String) {
    let encoded: String = url::form_urlencoded::byte_serialize(filename.as_bytes()).collect();
    (
        header::CONTENT_DISPOSITION,
        format!("attachment; filename*=UTF-8''{}", encoded.replace('+', "%20")),
    )
}

/// Sends what is written to it to the response body in chunks; fails (ending the export)
/// when the client has gone.
struct ChannelWriter {
    tx: mpsc::Sender<Bytes>,
    buf: Vec<u8>,
}

const CHUNK: usize = 64 * 1024;

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.flush()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::take(&mut self.buf));
        self.tx
            .blocking_send(chunk)
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "client went away"))
    }
}

impl Drop for ChannelWriter {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

/// Streams the responses `filter` selects as a file named after `period_label`.
pub fn stream_responses(
    state: &AppState,
    filter: ResponseFilter,
    format: Format,
    period_label: &str,
) -> HttpResponse {
    // A blocking thread pages through the database and writes into a bounded channel; the
    // response streams it out. Memory stays at a few chunks whatever the row count.
    let (tx, mut rx) = mpsc::channel::<Bytes>(8);
    let pool = state.pool.clone();
    let tz = state.settings.time_zone;
    actix_web::rt::task::spawn_blocking(move || {
        let result = pool
            .get()
            .map_err(|e| exports::ExportError::Db(e.into()))
            .and_then(|mut conn| {
                exports::responses::export(
                    &mut conn,
                    tz,
                    &filter,
                    format,
                    ChannelWriter { tx, buf: Vec::new() },
                )
            });
        match result {
            Ok(n) => tracing::info!(rows = n, "responses exported"),
            Err(e) => tracing::warn!(error = %e, "responses export stopped"),
        }
    });
    let body =
        futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx).map(|o| o.map(Ok::<_, std::io::Error>)));
    HttpResponse::Ok()
        .content_type(format.content_type())
        .insert_header(attachment(&exports::responses::file_name(period_label, format)))
        .streaming(body)
}
