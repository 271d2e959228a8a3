// The page the aggregator serves while a run goes on. Its plots and table are the report's,
// drawn by the same Swift code from the live snapshot; the page's only script fetches the
// newest rendering every two seconds and swaps it in (nothing is loaded from elsewhere, so it
// works offline and behind a firewall). It keeps the last rendering when the aggregator is gone.
import Foundation

/// The live page and its refreshable fragment.
public enum LivePage {
    /// Seconds between two refreshes of the page.
    public static let refreshSeconds = 2

    /// Path of the fragment the page fetches (relative, so the page also works under a prefix).
    public static let fragmentPath = "api/live.html"
    /// Path of the JSON snapshot.
    public static let jsonPath = "api/live.json"

    /// One thing the page's server answers: a path (absolute), its content type and its body.
    public struct Endpoint: Sendable {
        public let path: String
        public let contentType: String
        /// Makes the body for one request (from the feed's snapshot at that moment).
        public let body: @Sendable () -> [UInt8]
    }

    /// What to serve for `feed`: `/` the page, `/api/live.html` its fragment, `/api/live.json`
    /// the snapshot (records and trainer table) for scripts.
    public static func endpoints(_ feed: LiveFeed) -> [Endpoint] {
        let html = "text/html; charset=utf-8"
        return [
            Endpoint(path: "/", contentType: html) { Array(Self.html(feed.snapshot()).utf8) },
            Endpoint(path: "/" + fragmentPath, contentType: html) { Array(fragment(feed.snapshot()).utf8) },
            Endpoint(path: "/" + jsonPath, contentType: "application/json") { json(feed.snapshot()) },
        ]
    }

    /// The snapshot as JSON (keys sorted); `{}` if it cannot be encoded (it always can).
    static func json(_ snapshot: LiveSnapshot) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return (try? encoder.encode(snapshot)).map(Array.init) ?? Array("{}".utf8)
    }

    /// The whole page for `snapshot` (already filled in, so it shows something without script).
    public static func html(_ snapshot: LiveSnapshot) -> String {
        RunReport.page(
            title: "live: " + snapshot.title,
            body: "<p id=\"status\">live page: refreshes every \(refreshSeconds) s</p>\n<div id=\"live\">\(fragment(snapshot))</div>"
                + "<script>\(script)</script>")
    }

    /// What replaces the content of `#live` on each refresh.
    public static func fragment(_ snapshot: LiveSnapshot) -> String {
        RunReport.body(snapshot)
    }

    /// Fetches the fragment and swaps it in; says when the aggregator cannot be reached.
    static let script = """
        (function(){
          var status=document.getElementById('status'),live=document.getElementById('live'),refreshes=0;
          function show(text){status.textContent=text;}
          function refresh(){
            fetch('\(fragmentPath)',{cache:'no-store'}).then(function(r){
              if(!r.ok){throw new Error('HTTP '+r.status);}
              return r.text();
            }).then(function(html){
              live.innerHTML=html;refreshes+=1;live.setAttribute('data-refreshes',String(refreshes));
              show('live page: updated '+new Date().toLocaleTimeString()+', refreshes every \(refreshSeconds) s');
            }).catch(function(e){
              show('aggregator not reachable ('+e.message+'): the run has ended or the aggregator restarts; showing the last state');
            }).finally(function(){setTimeout(refresh,\(refreshSeconds * 1000));});
          }
          setTimeout(refresh,\(refreshSeconds * 1000));
        })();
        """
}
