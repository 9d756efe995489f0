//! Where the image's bytes come from: a local file, or the SeedImage's `status.downloadURL`
//! read over HTTP(S) without downloading the whole image. A server that honours `Range` is
//! asked for the blocks the ISO reader needs; one that does not is read sequentially, keeping
//! only a bounded cache of blocks and starting over (a bounded number of times) when the
//! reader seeks backwards. Either way memory stays bounded, and every byte read is counted so
//! the report can show that a 1 GB image cost a few hundred kilobytes.

use std::collections::{HashMap, VecDeque};
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// The unit of HTTP requests and of the cache.
const BLOCK: u64 = 64 * 1024;
/// Blocks kept: 4 MiB, more than the directory records and the config of any seed image.
const CACHE_BLOCKS: usize = 64;
/// How often a server without range support may be read from the start again.
const MAX_PASSES: u32 = 8;

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("cannot read {path}: {source}")]
    File { path: PathBuf, source: io::Error },
    #[error("{url}: {message}")]
    Http { url: String, message: String },
}

/// Trust for an `https` image URL: the given CA and the system's roots.
#[derive(Clone, Debug, Default)]
pub struct HttpTrust {
    /// DER certificates.
    pub roots: Vec<Vec<u8>>,
}

/// An image, readable at any offset.
pub enum Source {
    File(FileSource),
    Http(Box<HttpSource>),
}

pub struct FileSource {
    file: File,
    size: u64,
    position: u64,
    read: u64,
}

impl Source {
    pub fn open_file(path: &std::path::Path) -> Result<Source, SourceError> {
        let error = |source| SourceError::File {
            path: path.to_owned(),
            source,
        };
        let file = File::open(path).map_err(error)?;
        let metadata = file.metadata().map_err(error)?;
        if metadata.is_dir() {
            return Err(error(io::Error::other("is a directory")));
        }
        Ok(Source::File(FileSource {
            file,
            size: metadata.len(),
            position: 0,
            read: 0,
        }))
    }

    pub fn open_url(
        url: &str,
        trust: &HttpTrust,
        timeout: Duration,
    ) -> Result<Source, SourceError> {
        HttpSource::open(url, trust, timeout).map(|source| Source::Http(Box::new(source)))
    }

    pub fn size(&self) -> u64 {
        match self {
            Source::File(file) => file.size,
            Source::Http(http) => http.size,
        }
    }

    /// Bytes taken from the disk or the network so far.
    pub fn bytes_read(&self) -> u64 {
        match self {
            Source::File(file) => file.read,
            Source::Http(http) => http.read,
        }
    }

    /// Feeds the whole image to `sink` in order, from the start, in one pass.
    pub fn stream_all(&mut self, sink: &mut dyn FnMut(&[u8])) -> io::Result<u64> {
        let mut reader: Box<dyn Read + '_> = match self {
            Source::File(file) => {
                file.file.seek(SeekFrom::Start(0))?;
                file.position = 0;
                Box::new(Counted {
                    inner: &mut file.file,
                    read: &mut file.read,
                })
            }
            Source::Http(http) => {
                let response = http.get(None)?;
                if response.status != 200 {
                    return Err(io::Error::other(format!(
                        "the server answered HTTP {}",
                        response.status
                    )));
                }
                Box::new(Counted {
                    inner: response.body,
                    read: &mut http.read,
                })
            }
        };
        let mut buffer = vec![0_u8; 1024 * 1024];
        let mut total = 0_u64;
        loop {
            let count = reader.read(&mut buffer)?;
            if count == 0 {
                return Ok(total);
            }
            total += count as u64;
            sink(&buffer[..count]);
        }
    }
}

struct Counted<'a, R: Read> {
    inner: R,
    read: &'a mut u64,
}

impl<R: Read> Read for Counted<'_, R> {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        let count = self.inner.read(buffer)?;
        *self.read += count as u64;
        Ok(count)
    }
}

impl Read for Source {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        match self {
            Source::File(file) => {
                let count = file.file.read(buffer)?;
                file.position += count as u64;
                file.read += count as u64;
                Ok(count)
            }
            Source::Http(http) => http.read(buffer),
        }
    }
}

impl Seek for Source {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        match self {
            Source::File(file) => {
                file.position = file.file.seek(to)?;
                Ok(file.position)
            }
            Source::Http(http) => {
                http.position = resolve(to, http.position, http.size)?;
                Ok(http.position)
            }
        }
    }
}

fn resolve(to: SeekFrom, position: u64, size: u64) -> io::Result<u64> {
    let target = match to {
        SeekFrom::Start(offset) => Some(offset),
        SeekFrom::Current(delta) => position.checked_add_signed(delta),
        SeekFrom::End(delta) => size.checked_add_signed(delta),
    };
    target.ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek before the start"))
}

/// An HTTP(S) client that verifies `https` against the given CA and the system roots, gives up
/// on a connection or a read that stalls for `timeout`, and returns every status as a value.
fn agent(trust: &HttpTrust, timeout: Duration) -> ureq::Agent {
    let mut roots: Vec<ureq::tls::Certificate<'static>> = trust
        .roots
        .iter()
        .map(|der| ureq::tls::Certificate::from_der(der).to_owned())
        .collect();
    for certificate in rustls_native_certs::load_native_certs().certs {
        roots.push(ureq::tls::Certificate::from_der(certificate.as_ref()).to_owned());
    }
    let tls = ureq::tls::TlsConfig::builder()
        .root_certs(ureq::tls::RootCerts::Specific(Arc::new(roots)))
        .unversioned_rustls_crypto_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
        .build();
    ureq::Agent::config_builder()
        .tls_config(tls)
        .http_status_as_error(false)
        .timeout_connect(Some(timeout))
        .timeout_per_read(Some(timeout))
        .timeout_recv_response(Some(timeout))
        .build()
        .into()
}

/// A small document behind a URL (a checksum file), at most `limit` bytes.
pub fn fetch_small(
    url: &str,
    trust: &HttpTrust,
    timeout: Duration,
    limit: u64,
) -> Result<Vec<u8>, SourceError> {
    let error = |message: String| SourceError::Http {
        url: url.to_owned(),
        message,
    };
    let response = agent(trust, timeout)
        .get(url)
        .call()
        .map_err(|failure| error(failure.to_string()))?;
    let status = response.status().as_u16();
    if status != 200 {
        return Err(error(format!("the server answered HTTP {status}")));
    }
    let mut bytes = Vec::new();
    response
        .into_body()
        .into_reader()
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|failure| error(failure.to_string()))?;
    if bytes.len() as u64 > limit {
        return Err(error(format!("larger than {limit} bytes")));
    }
    Ok(bytes)
}

/// An image behind a URL.
pub struct HttpSource {
    agent: ureq::Agent,
    url: String,
    size: u64,
    position: u64,
    /// The server answered `206` to a range request.
    ranges: bool,
    cache: HashMap<u64, Arc<Vec<u8>>>,
    /// Cached block numbers, oldest first.
    order: VecDeque<u64>,
    /// Without range support: the open response and the offset it has reached.
    stream: Option<(u64, ureq::BodyReader<'static>)>,
    passes: u32,
    read: u64,
}

struct Response {
    status: u16,
    content_range: Option<String>,
    content_length: Option<u64>,
    body: ureq::BodyReader<'static>,
}

impl HttpSource {
    fn open(url: &str, trust: &HttpTrust, timeout: Duration) -> Result<HttpSource, SourceError> {
        let lower = url.to_ascii_lowercase();
        if !lower.starts_with("https://") && !lower.starts_with("http://") {
            return Err(SourceError::Http {
                url: url.to_owned(),
                message: "not an http(s) URL".to_owned(),
            });
        }
        let agent = agent(trust, timeout);
        let mut source = HttpSource {
            agent,
            url: url.to_owned(),
            size: 0,
            position: 0,
            ranges: false,
            cache: HashMap::new(),
            order: VecDeque::new(),
            stream: None,
            passes: 0,
            read: 0,
        };
        let first = source
            .get(Some((0, BLOCK - 1)))
            .map_err(|error| source.error(error.to_string()))?;
        match first.status {
            206 => {
                let total = first
                    .content_range
                    .as_deref()
                    .and_then(|range| range.rsplit_once('/'))
                    .and_then(|(_, total)| total.trim().parse::<u64>().ok())
                    .ok_or_else(|| source.error("206 without a usable Content-Range".to_owned()))?;
                source.size = total;
                source.ranges = true;
                let block = source
                    .take(first.body, total.min(BLOCK))
                    .map_err(|error| source.error(error.to_string()))?;
                source.remember(0, block);
            }
            200 => {
                source.size = first.content_length.ok_or_else(|| {
                    source.error("the server sends no Content-Length and no ranges".to_owned())
                })?;
                source.passes = 1;
                source.stream = Some((0, first.body));
            }
            416 => source.size = 0,
            status => {
                return Err(source.error(format!("the server answered HTTP {status}")));
            }
        }
        Ok(source)
    }

    fn error(&self, message: String) -> SourceError {
        SourceError::Http {
            url: self.url.clone(),
            message,
        }
    }

    /// `GET`, with a byte range when given (inclusive, as HTTP has it).
    fn get(&self, range: Option<(u64, u64)>) -> io::Result<Response> {
        let mut request = self.agent.get(&self.url);
        if let Some((first, last)) = range {
            request = request.header("Range", format!("bytes={first}-{last}"));
        }
        let response = request.call().map_err(io::Error::other)?;
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned)
        };
        Ok(Response {
            status: response.status().as_u16(),
            content_range: header("content-range"),
            content_length: header("content-length").and_then(|value| value.parse().ok()),
            body: response.into_body().into_reader(),
        })
    }

    /// Exactly `length` bytes of a body.
    fn take(&mut self, body: impl Read, length: u64) -> io::Result<Vec<u8>> {
        let mut block = Vec::with_capacity(usize::try_from(length).unwrap_or(0));
        body.take(length).read_to_end(&mut block)?;
        self.read += block.len() as u64;
        if (block.len() as u64) < length {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the server ended the response early",
            ));
        }
        Ok(block)
    }

    fn remember(&mut self, index: u64, block: Vec<u8>) -> Arc<Vec<u8>> {
        let block = Arc::new(block);
        if self.cache.insert(index, Arc::clone(&block)).is_none() {
            self.order.push_back(index);
        }
        while self.order.len() > CACHE_BLOCKS {
            if let Some(oldest) = self.order.pop_front() {
                self.cache.remove(&oldest);
            }
        }
        block
    }

    fn block(&mut self, index: u64) -> io::Result<Arc<Vec<u8>>> {
        if let Some(block) = self.cache.get(&index) {
            return Ok(Arc::clone(block));
        }
        let start = index * BLOCK;
        let length = BLOCK.min(self.size.saturating_sub(start));
        if self.ranges {
            let response = self.get(Some((start, start + length - 1)))?;
            if response.status != 206 {
                return Err(io::Error::other(format!(
                    "the server answered HTTP {} to a range request it had honoured before",
                    response.status
                )));
            }
            let block = self.take(response.body, length)?;
            return Ok(self.remember(index, block));
        }
        let behind = self.stream.as_ref().is_none_or(|(at, _)| *at > start);
        if behind {
            if self.passes >= MAX_PASSES {
                return Err(io::Error::other(format!(
                    "the server does not support range requests and the image needed more \
                     than {MAX_PASSES} passes; download it and check the file"
                )));
            }
            self.passes += 1;
            let response = self.get(None)?;
            if response.status != 200 {
                return Err(io::Error::other(format!(
                    "the server answered HTTP {}",
                    response.status
                )));
            }
            self.stream = Some((0, response.body));
        }
        let Some((at, mut body)) = self.stream.take() else {
            return Err(io::Error::other("no response to read"));
        };
        let skipped = io::copy(&mut (&mut body).take(start - at), &mut io::sink())?;
        self.read += skipped;
        if skipped < start - at {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the server ended the response early",
            ));
        }
        let block = self.take(&mut body, length)?;
        self.stream = Some((start + length, body));
        Ok(self.remember(index, block))
    }

    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        if self.position >= self.size || buffer.is_empty() {
            return Ok(0);
        }
        let index = self.position / BLOCK;
        let block = self.block(index)?;
        let offset = usize::try_from(self.position - index * BLOCK).unwrap_or(usize::MAX);
        let available = block.get(offset..).unwrap_or_default();
        let count = available.len().min(buffer.len());
        buffer[..count].copy_from_slice(&available[..count]);
        self.position += count as u64;
        Ok(count)
    }
}
