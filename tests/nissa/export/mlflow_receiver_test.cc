// The MLflow stand-in refuses what MLflow documents as invalid (else the exporter tests would prove
// little): each malformed request below is refused, and a well-formed one is taken.
#include "tests/nissa/export/mlflow_receiver.h"

#include <gtest/gtest.h>

namespace esper::nissa::testing {
namespace {

struct Answer {
  int status = 0;
  std::string body;
};

Answer post(MlflowReceiver& mlflow, const std::string& path, const std::string& body,
            const std::string& type = "application/json") {
  httplib::Client client(mlflow.url());
  auto res = client.Post(path, body, type);
  if (!res) return {};
  return {res->status, res->body};
}

std::string metric(const std::string& key, const std::string& rest = R"("value":1,"timestamp":1,"step":1)") {
  return R"({"key":")" + key + R"(",)" + rest + "}";
}

std::string batch(const std::string& run, const std::string& metrics) {
  return R"({"run_id":")" + run + R"(","metrics":[)" + metrics + "]}";
}

TEST(MlflowReceiverTest, RefusesEveryKindOfMalformedRequestAndTakesAWellFormedOne) {
  MlflowReceiver mlflow;
  mlflow.add_run("r");
  const std::string log = "/api/2.0/mlflow/runs/log-batch";
  const std::string create = "/api/2.0/mlflow/runs/create";

  EXPECT_EQ(post(mlflow, log, batch("r", metric("loss")), "text/plain").status, 400) << "not JSON";
  EXPECT_EQ(post(mlflow, log, "[1]").status, 400) << "not an object";
  EXPECT_EQ(post(mlflow, log, R"({"run_id":"r","metrics":[],"extra":1})").status, 400) << "unknown field";
  EXPECT_EQ(post(mlflow, log, batch("r", "")).status, 400) << "no metrics";
  EXPECT_EQ(post(mlflow, log, batch("r", metric("loss", R"("value":"1","timestamp":1,"step":1)"))).status, 400)
      << "value as a string";
  EXPECT_EQ(post(mlflow, log, batch("r", metric("loss", R"("value":1,"timestamp":1.5,"step":1)"))).status, 400)
      << "fractional timestamp";
  EXPECT_EQ(post(mlflow, log, batch("r", metric("loss", R"("value":1,"timestamp":1)"))).status, 400) << "no step";
  EXPECT_EQ(post(mlflow, log, batch("r", metric("loss", R"("value":1,"timestamp":1,"step":1,"x":2)"))).status, 400)
      << "unknown metric field";
  EXPECT_EQ(post(mlflow, log, batch("r", metric("a{b}"))).status, 400) << "bad key characters";
  EXPECT_EQ(post(mlflow, log, batch("r", metric(std::string(251, 'k')))).status, 400) << "key over 250";
  std::string many;
  for (int i = 0; i < 1001; ++i) many += (i ? "," : "") + metric("loss");
  EXPECT_EQ(post(mlflow, log, batch("r", many)).status, 400) << "over 1000 metrics";
  EXPECT_EQ(post(mlflow, log, batch("r", metric(std::string(200, 'k')) + "," + std::string(1'000'000, ' ') + metric("a")))
                .status,
            400)
      << "over 1 MB";
  EXPECT_EQ(post(mlflow, log, batch("unknown", metric("loss"))).status, 404) << "unknown run";
  EXPECT_EQ(post(mlflow, create, R"({"experiment_id":0})").status, 400) << "experiment id as a number";
  EXPECT_EQ(post(mlflow, create, R"({"experiment_id":"99"})").status, 404) << "unknown experiment";
  EXPECT_EQ(post(mlflow, create, R"({"experiment_id":"0","tags":[{"key":"k"}]})").status, 400) << "tag without value";
  EXPECT_EQ(post(mlflow, create, R"({"experiment_id":"0","name":"x"})").status, 400) << "unknown field";
  EXPECT_TRUE(mlflow.metrics().empty());
  EXPECT_TRUE(mlflow.created().empty());

  EXPECT_EQ(post(mlflow, log, batch("r", metric("trainer/loss") + "," + metric("misc/a b.c-d_e"))).status, 200);
  EXPECT_EQ(mlflow.metrics().size(), 2u);
  EXPECT_EQ(post(mlflow, create, R"({"experiment_id":"0","run_name":"x","start_time":1,"tags":[]})").status, 200);
  EXPECT_EQ(mlflow.created().size(), 1u);
}

}  // namespace
}  // namespace esper::nissa::testing
