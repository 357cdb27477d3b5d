//! List methods as async streams: the pager follows `next_page_token`
//! until it is empty, one page in memory at a time.

use std::collections::VecDeque;
use std::future::Future;

use futures_util::Stream;
use futures_util::stream;

use crate::Error;

/// A stream of every item of a list, fetching page after page with
/// `fetch(page_token)` -> (items, next_page_token). Ends after the last
/// page, or after yielding the first error.
pub(crate) fn pages<T, F, Fut>(fetch: F) -> impl Stream<Item = Result<T, Error>> + Send
where
    T: Send,
    F: FnMut(String) -> Fut + Send,
    Fut: Future<Output = Result<(Vec<T>, String), Error>> + Send,
{
    struct State<T, F> {
        fetch: F,
        buffer: VecDeque<T>,
        /// The next page's token; None when there is none.
        next: Option<String>,
    }
    let start = State { fetch, buffer: VecDeque::new(), next: Some(String::new()) };
    stream::unfold(start, |mut st| async move {
        loop {
            if let Some(item) = st.buffer.pop_front() {
                return Some((Ok(item), st));
            }
            let token = st.next.take()?;
            match (st.fetch)(token).await {
                Ok((items, next)) => {
                    st.buffer.extend(items);
                    st.next = (!next.is_empty()).then_some(next);
                }
                Err(e) => return Some((Err(e), st)),
            }
        }
    })
}
