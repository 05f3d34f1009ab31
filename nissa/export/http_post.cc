#include "nissa/export/http_post.h"

#include <algorithm>
#include <mutex>
#include <stdexcept>

#include <curl/curl.h>

namespace esper::nissa {
namespace {

void init_curl_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) throw std::runtime_error("cannot initialise libcurl");
  });
}

struct KeptAnswer {
  std::string* body;
  std::size_t max;
};

std::size_t keep_answer(char* data, std::size_t size, std::size_t n, void* user) {
  auto* kept = static_cast<KeptAnswer*>(user);
  const std::size_t bytes = size * n;
  if (kept->body->size() < kept->max) kept->body->append(data, std::min(bytes, kept->max - kept->body->size()));
  return bytes;
}

int abort_if_stopped(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<const std::atomic<bool>*>(user)->load() ? 1 : 0;
}

}  // namespace

std::string answer_excerpt(std::string_view body) {
  constexpr std::size_t kMax = 300;
  std::string line(body.substr(0, kMax));
  std::replace(line.begin(), line.end(), '\n', ' ');
  std::replace(line.begin(), line.end(), '\r', ' ');
  if (body.size() > kMax) line += "...";
  return line;
}

HttpPost::HttpPost(std::string url, std::vector<std::string> headers, std::chrono::milliseconds timeout,
                   const std::atomic<bool>& stop, std::size_t kept_answer_bytes)
    : url_(std::move(url)),
      curl_(nullptr),
      header_list_(nullptr),
      timeout_(timeout),
      stop_(stop),
      kept_answer_bytes_(kept_answer_bytes) {
  init_curl_once();
  curl_ = curl_easy_init();
  if (curl_ == nullptr) throw std::runtime_error("cannot create a libcurl handle");
  curl_slist* list = nullptr;
  for (const auto& h : headers) list = curl_slist_append(list, h.c_str());
  list = curl_slist_append(list, "Expect:");  // No 100-continue round trip for large bodies.
  header_list_ = list;
}

HttpPost::~HttpPost() {
  curl_easy_cleanup(static_cast<CURL*>(curl_));
  curl_slist_free_all(static_cast<curl_slist*>(header_list_));
}

HttpPostResult HttpPost::post(std::string_view body) {
  HttpPostResult result;
  CURL* c = static_cast<CURL*>(curl_);
  curl_easy_setopt(c, CURLOPT_URL, url_.c_str());
  curl_easy_setopt(c, CURLOPT_POST, 1L);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, static_cast<curl_slist*>(header_list_));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_.count()));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeout_.count()));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);  // Threads: no SIGALRM for DNS timeouts.
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, keep_answer);
  KeptAnswer kept{&result.body, kept_answer_bytes_};
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &kept);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, abort_if_stopped);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, &stop_);
  const CURLcode code = curl_easy_perform(c);
  if (code != CURLE_OK) {
    result.error = code == CURLE_ABORTED_BY_CALLBACK ? "stopped" : curl_easy_strerror(code);
    return result;
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &result.status);
  return result;
}

}  // namespace esper::nissa
