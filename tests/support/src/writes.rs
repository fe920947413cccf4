//! A client that counts the writes it sends, so a test can say how many API writes a
//! component made: every request that is not a GET (watches and lists are GETs).

use kube::{Client, client::ClientBuilder};
use std::sync::{
    Arc, Mutex, PoisonError,
    atomic::{AtomicUsize, Ordering},
};
use tower::util::MapRequestLayer;

/// The writes a [`counting_client`] has sent.
#[derive(Clone, Default)]
pub struct Writes {
    count: Arc<AtomicUsize>,
    log: Arc<Mutex<Vec<String>>>,
}

impl Writes {
    pub fn count(&self) -> usize {
        self.count.load(Ordering::SeqCst)
    }

    /// Each write as `METHOD path`, in order.
    pub fn log(&self) -> Vec<String> {
        self.log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// A client to the test cluster whose writes are counted.
pub async fn counting_client() -> (Client, Writes) {
    let writes = Writes::default();
    let seen = writes.clone();
    let config = crate::kube_config().await;
    let client = ClientBuilder::try_from(config)
        .expect("client builder")
        .with_layer(&MapRequestLayer::new(
            move |req: http::Request<kube::client::Body>| {
                if req.method() != http::Method::GET {
                    seen.count.fetch_add(1, Ordering::SeqCst);
                    seen.log
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push(format!("{} {}", req.method(), req.uri().path()));
                }
                req
            },
        ))
        .build();
    (client, writes)
}
