// One exporter's HTTP client (libcurl): POSTs a body with the given headers over a connection kept
// alive between requests, within a timeout, and gives up at once when told to stop, so a remote
// that hangs costs the exporter's thread its timeout and never delays Nissa's shutdown.
#ifndef ESPER_NISSA_EXPORT_HTTP_POST_H_
#define ESPER_NISSA_EXPORT_HTTP_POST_H_

#include <atomic>
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace esper::nissa {

struct HttpPostResult {
  long status = 0;    // The HTTP status; 0 when no answer came (error says why).
  std::string error;  // Transport failure (refused, timed out, stopped), empty otherwise.
  std::string body;   // The answer's first bytes (see kept_answer_bytes).
};

// `body` as one line of at most 300 characters, for a log message.
std::string answer_excerpt(std::string_view body);

class HttpPost {
 public:
  // `stop`, when set, aborts a request in flight. Of each answer, the first `kept_answer_bytes`
  // are kept in HttpPostResult::body.
  HttpPost(std::string url, std::vector<std::string> headers, std::chrono::milliseconds timeout,
           const std::atomic<bool>& stop, std::size_t kept_answer_bytes = 512);
  ~HttpPost();
  HttpPost(const HttpPost&) = delete;
  HttpPost& operator=(const HttpPost&) = delete;

  HttpPostResult post(std::string_view body);
  const std::string& url() const { return url_; }

 private:
  std::string url_;
  void* curl_;          // CURL*, kept so the connection is reused.
  void* header_list_;   // curl_slist*.
  std::chrono::milliseconds timeout_;
  const std::atomic<bool>& stop_;
  std::size_t kept_answer_bytes_;
};

}  // namespace esper::nissa

#endif  // ESPER_NISSA_EXPORT_HTTP_POST_H_
