//===- TrainStepTest.cpp - expanded train steps against reference rules --===//
//
// A linear model with an MSE loss is trained for a few steps by the step
// function that --tg-expand-train-step and --tg-autodiff build, run in the
// reference interpreter (f64), and by each optimizer's rule (PyTorch's, or the
// paper's) written out here with the analytic gradient. Parameters and losses
// must agree to rounding.
//
//===----------------------------------------------------------------------===//

#include "Interpreter/Interpreter.h"
#include "passes/Passes.h"
#include "tg/Derivatives.h"
#include "tg/TGOps.h"
#include "tgc/Philox.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MLProgram/IR/MLProgram.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <type_traits>

using namespace mlir;
using namespace mlir::tg;

namespace {

constexpr int kBatch = 4, kIn = 3, kOut = 2, kSteps = 6;

std::string spec(const std::string &optimizer) {
  return std::string(R"(
ml_program.global private mutable @w(dense<[[0.1, -0.2, 0.3], [0.0, 0.5, -0.4]]> : tensor<2x3xf64>) : tensor<2x3xf64>
ml_program.global private mutable @b(dense<[0.05, -0.05]> : tensor<2xf64>) : tensor<2xf64>
func.func @loss(%x: tensor<4x3xf64>, %t: tensor<4x2xf64>) -> tensor<f64> {
  %w = ml_program.global_load @w : tensor<2x3xf64>
  %b = ml_program.global_load @b : tensor<2xf64>
  %y = tg.linear %x, %w, %b : tensor<4x3xf64>, tensor<2x3xf64>, tensor<2xf64> -> tensor<4x2xf64>
  %l = tg.mse_loss %y, %t : tensor<4x2xf64> -> tensor<f64>
  return %l : tensor<f64>
}
tg.train_step @train_step loss @loss optimizer )") + optimizer + "\n";
}

using Vectors = std::vector<std::vector<double>>;

/// An optimizer over all parameters of the model, at step t >= 1.
/// `gradientAt` gives the gradients of this step's loss at other parameters
/// (SAM).
struct Reference {
  virtual ~Reference() = default;
  virtual void step(Vectors &params, const Vectors &grads, int t) = 0;
  std::function<Vectors(const Vectors &)> gradientAt;
};

/// An optimizer's rule on one flat parameter, at step t >= 1: most rules
/// treat each parameter on its own. Each keeps its state as PyTorch does, in
/// plain vectors.
struct Rule {
  virtual ~Rule() = default;
  virtual void step(std::vector<double> &p, std::vector<double> g, int t) = 0;
};

/// A rule applied to every parameter, with one copy of its state each.
template <typename R> struct EachParameter : Reference {
  std::function<R()> make;
  std::vector<R> rules;
  void step(Vectors &params, const Vectors &grads, int t) override {
    while (rules.size() < params.size())
      rules.push_back(make());
    for (size_t i = 0; i < params.size(); ++i)
      rules[i].step(params[i], grads[i], t);
  }
};

/// torch.optim.SGD (dampening 0).
struct ReferenceSGD : Rule {
  double lr, momentum, weightDecay;
  bool nesterov;
  std::vector<double> buffer;
  ReferenceSGD(double lr, double momentum, double weightDecay, bool nesterov)
      : lr(lr), momentum(momentum), weightDecay(weightDecay), nesterov(nesterov) {}

  void step(std::vector<double> &p, std::vector<double> g, int t) override {
    buffer.resize(p.size());
    for (size_t i = 0; i < p.size(); ++i) {
      g[i] += weightDecay * p[i];
      if (momentum != 0) {
        buffer[i] = t == 1 ? g[i] : momentum * buffer[i] + g[i];
        g[i] = nesterov ? g[i] + momentum * buffer[i] : buffer[i];
      }
      p[i] -= lr * g[i];
    }
  }
};

/// torch.optim.Adam and AdamW (decoupled).
struct ReferenceAdam : Rule {
  double lr, beta1, beta2, eps, weightDecay;
  bool amsgrad, decoupled;
  std::vector<double> m, v, vMax;
  ReferenceAdam(double lr, double beta1, double beta2, double eps,
                double weightDecay, bool amsgrad, bool decoupled)
      : lr(lr), beta1(beta1), beta2(beta2), eps(eps), weightDecay(weightDecay),
        amsgrad(amsgrad), decoupled(decoupled) {}

  void step(std::vector<double> &p, std::vector<double> g, int t) override {
    m.resize(p.size()), v.resize(p.size()), vMax.resize(p.size());
    for (size_t i = 0; i < p.size(); ++i) {
      if (decoupled)
        p[i] *= 1 - lr * weightDecay;
      else
        g[i] += weightDecay * p[i];
      m[i] = beta1 * m[i] + (1 - beta1) * g[i];
      v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
      vMax[i] = std::max(vMax[i], v[i]);
      double mHat = m[i] / (1 - std::pow(beta1, t));
      double vHat = (amsgrad ? vMax[i] : v[i]) / (1 - std::pow(beta2, t));
      p[i] -= lr * mHat / (std::sqrt(vHat) + eps);
    }
  }
};

/// torch.optim.Adamax.
struct ReferenceAdamax : Rule {
  double lr, beta1, beta2, eps, weightDecay;
  std::vector<double> m, u;
  ReferenceAdamax(double lr, double beta1, double beta2, double eps, double weightDecay)
      : lr(lr), beta1(beta1), beta2(beta2), eps(eps), weightDecay(weightDecay) {}

  void step(std::vector<double> &p, std::vector<double> g, int t) override {
    m.resize(p.size()), u.resize(p.size());
    for (size_t i = 0; i < p.size(); ++i) {
      g[i] += weightDecay * p[i];
      m[i] = beta1 * m[i] + (1 - beta1) * g[i];
      u[i] = std::max(beta2 * u[i], std::fabs(g[i]) + eps);
      p[i] -= lr / (1 - std::pow(beta1, t)) * m[i] / u[i];
    }
  }
};

/// torch.optim.Adagrad.
struct ReferenceAdagrad : Rule {
  double lr, lrDecay, weightDecay, init, eps;
  std::vector<double> sum;
  ReferenceAdagrad(double lr, double lrDecay, double weightDecay, double init, double eps)
      : lr(lr), lrDecay(lrDecay), weightDecay(weightDecay), init(init), eps(eps) {}

  void step(std::vector<double> &p, std::vector<double> g, int t) override {
    if (sum.empty())
      sum.assign(p.size(), init);
    for (size_t i = 0; i < p.size(); ++i) {
      g[i] += weightDecay * p[i];
      sum[i] += g[i] * g[i];
      p[i] -= lr / (1 + (t - 1) * lrDecay) * g[i] / (std::sqrt(sum[i]) + eps);
    }
  }
};

/// torch.optim.RMSprop.
struct ReferenceRMSprop : Rule {
  double lr, alpha, eps, weightDecay, momentum;
  bool centered;
  std::vector<double> square, mean, buffer;
  ReferenceRMSprop(double lr, double alpha, double eps, double weightDecay,
                   double momentum, bool centered)
      : lr(lr), alpha(alpha), eps(eps), weightDecay(weightDecay),
        momentum(momentum), centered(centered) {}

  void step(std::vector<double> &p, std::vector<double> g, int) override {
    square.resize(p.size()), mean.resize(p.size()), buffer.resize(p.size());
    for (size_t i = 0; i < p.size(); ++i) {
      g[i] += weightDecay * p[i];
      square[i] = alpha * square[i] + (1 - alpha) * g[i] * g[i];
      mean[i] = alpha * mean[i] + (1 - alpha) * g[i];
      double variance = centered ? square[i] - mean[i] * mean[i] : square[i];
      double scaled = g[i] / (std::sqrt(variance) + eps);
      buffer[i] = momentum * buffer[i] + scaled;
      p[i] -= lr * (momentum != 0 ? buffer[i] : scaled);
    }
  }
};

/// Lion (Chen et al. 2023, Algorithm 2).
struct ReferenceLion : Rule {
  double lr, beta1, beta2, weightDecay;
  std::vector<double> m;
  ReferenceLion(double lr, double beta1, double beta2, double weightDecay)
      : lr(lr), beta1(beta1), beta2(beta2), weightDecay(weightDecay) {}

  void step(std::vector<double> &p, std::vector<double> g, int) override {
    m.resize(p.size());
    for (size_t i = 0; i < p.size(); ++i) {
      double c = beta1 * m[i] + (1 - beta1) * g[i];
      double sign = c > 0 ? 1 : c < 0 ? -1 : 0;
      p[i] -= lr * (sign + weightDecay * p[i]);
      m[i] = beta2 * m[i] + (1 - beta2) * g[i];
    }
  }
};

/// NAdam (Dozat 2016): m_hat = mu_{t+1} m / (1 - prod_{i<=t+1} mu_i)
/// + (1 - mu_t) g / (1 - prod_{i<=t} mu_i).
struct ReferenceNAdam : Rule {
  double lr, beta1, beta2, eps, weightDecay, momentumDecay;
  std::vector<double> m, v;
  double product = 1;
  ReferenceNAdam(double lr, double beta1, double beta2, double eps,
                 double weightDecay, double momentumDecay)
      : lr(lr), beta1(beta1), beta2(beta2), eps(eps), weightDecay(weightDecay),
        momentumDecay(momentumDecay) {}

  double mu(int t) const {
    return beta1 * (1 - 0.5 * std::pow(0.96, t * momentumDecay));
  }
  void step(std::vector<double> &p, std::vector<double> g, int t) override {
    m.resize(p.size()), v.resize(p.size());
    product *= mu(t);
    for (size_t i = 0; i < p.size(); ++i) {
      g[i] += weightDecay * p[i];
      m[i] = beta1 * m[i] + (1 - beta1) * g[i];
      v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
      double mHat = mu(t + 1) * m[i] / (1 - product * mu(t + 1)) +
                    (1 - mu(t)) * g[i] / (1 - product);
      double vHat = v[i] / (1 - std::pow(beta2, t));
      p[i] -= lr * mHat / (std::sqrt(vHat) + eps);
    }
  }
};

/// diffGrad, as the authors' diffGrad_v2.py.
struct ReferenceDiffGrad : Rule {
  double lr, beta1, beta2, eps, weightDecay;
  std::vector<double> m, v, previous;
  ReferenceDiffGrad(double lr, double beta1, double beta2, double eps, double weightDecay)
      : lr(lr), beta1(beta1), beta2(beta2), eps(eps), weightDecay(weightDecay) {}

  void step(std::vector<double> &p, std::vector<double> g, int t) override {
    m.resize(p.size()), v.resize(p.size()), previous.resize(p.size());
    double stepSize = lr * std::sqrt(1 - std::pow(beta2, t)) / (1 - std::pow(beta1, t));
    for (size_t i = 0; i < p.size(); ++i) {
      g[i] += weightDecay * p[i];
      m[i] = beta1 * m[i] + (1 - beta1) * g[i];
      v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
      double friction = 1 / (1 + std::exp(-std::fabs(previous[i] - g[i])));
      previous[i] = g[i];
      p[i] -= stepSize * friction * m[i] / (std::sqrt(v[i]) + eps);
    }
  }
};

/// AdaBound and AMSBound, as the authors' adabound package.
struct ReferenceAdaBound : Rule {
  double lr, beta1, beta2, finalLr, gamma, eps, weightDecay;
  bool amsbound;
  std::vector<double> m, v, vMax;
  ReferenceAdaBound(double lr, double beta1, double beta2, double finalLr, double gamma,
                    double eps, double weightDecay, bool amsbound)
      : lr(lr), beta1(beta1), beta2(beta2), finalLr(finalLr), gamma(gamma), eps(eps),
        weightDecay(weightDecay), amsbound(amsbound) {}

  void step(std::vector<double> &p, std::vector<double> g, int t) override {
    m.resize(p.size()), v.resize(p.size()), vMax.resize(p.size());
    double stepSize = lr * std::sqrt(1 - std::pow(beta2, t)) / (1 - std::pow(beta1, t));
    double low = finalLr * (1 - 1 / (gamma * t + 1));
    double high = finalLr * (1 + 1 / (gamma * t));
    for (size_t i = 0; i < p.size(); ++i) {
      g[i] += weightDecay * p[i];
      m[i] = beta1 * m[i] + (1 - beta1) * g[i];
      v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
      vMax[i] = std::max(vMax[i], v[i]);
      double eta = stepSize / (std::sqrt(amsbound ? vMax[i] : v[i]) + eps);
      p[i] -= std::clamp(eta, low, high) * m[i];
    }
  }
};

/// AdaMod, as the authors' adamod package.
struct ReferenceAdaMod : Rule {
  double lr, beta1, beta2, beta3, eps, weightDecay;
  std::vector<double> m, v, s;
  ReferenceAdaMod(double lr, double beta1, double beta2, double beta3, double eps,
                  double weightDecay)
      : lr(lr), beta1(beta1), beta2(beta2), beta3(beta3), eps(eps), weightDecay(weightDecay) {}

  void step(std::vector<double> &p, std::vector<double> g, int t) override {
    m.resize(p.size()), v.resize(p.size()), s.resize(p.size());
    double stepSize = lr * std::sqrt(1 - std::pow(beta2, t)) / (1 - std::pow(beta1, t));
    for (size_t i = 0; i < p.size(); ++i) {
      m[i] = beta1 * m[i] + (1 - beta1) * g[i];
      v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
      p[i] -= lr * weightDecay * p[i];
      double eta = stepSize / (std::sqrt(v[i]) + eps);
      s[i] = beta3 * s[i] + (1 - beta3) * eta;
      p[i] -= std::min(eta, s[i]) * m[i];
    }
  }
};

/// Grams, Algorithm 1 of the paper.
struct ReferenceGrams : Rule {
  double lr, beta1, beta2, eps, weightDecay;
  std::vector<double> m, v;
  ReferenceGrams(double lr, double beta1, double beta2, double eps, double weightDecay)
      : lr(lr), beta1(beta1), beta2(beta2), eps(eps), weightDecay(weightDecay) {}

  void step(std::vector<double> &p, std::vector<double> g, int t) override {
    m.resize(p.size()), v.resize(p.size());
    for (size_t i = 0; i < p.size(); ++i) {
      m[i] = beta1 * m[i] + (1 - beta1) * g[i];
      v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
      double u = m[i] / (1 - std::pow(beta1, t)) /
                 (std::sqrt(v[i] / (1 - std::pow(beta2, t))) + eps);
      double sign = g[i] > 0 ? 1 : g[i] < 0 ? -1 : 0;
      p[i] -= lr * (sign * std::fabs(u) + weightDecay * p[i]);
    }
  }
};

/// AdEMAMix, as the authors' PyTorch code.
struct ReferenceAdEMAMix : Rule {
  double lr, beta1, beta2, beta3, alpha;
  int beta3Warmup, alphaWarmup;
  double eps, weightDecay;
  std::vector<double> fast, slow, v;
  ReferenceAdEMAMix(double lr, double beta1, double beta2, double beta3, double alpha,
                    int beta3Warmup, int alphaWarmup, double eps, double weightDecay)
      : lr(lr), beta1(beta1), beta2(beta2), beta3(beta3), alpha(alpha),
        beta3Warmup(beta3Warmup), alphaWarmup(alphaWarmup), eps(eps),
        weightDecay(weightDecay) {}

  void step(std::vector<double> &p, std::vector<double> g, int t) override {
    fast.resize(p.size()), slow.resize(p.size()), v.resize(p.size());
    double a = t < alphaWarmup ? alpha * t / alphaWarmup : alpha;
    double b3 = beta3;
    if (t < beta3Warmup) {
      auto halfLife = [](double beta) { return std::log(0.5) / std::log(beta + 1e-8) - 1; };
      double w = double(t) / beta3Warmup;
      b3 = std::pow(0.5, 1 / ((1 - w) * halfLife(beta1) + w * halfLife(beta3) + 1));
    }
    for (size_t i = 0; i < p.size(); ++i) {
      fast[i] = beta1 * fast[i] + (1 - beta1) * g[i];
      slow[i] = b3 * slow[i] + (1 - b3) * g[i];
      v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
      double denom = std::sqrt(v[i] / (1 - std::pow(beta2, t))) + eps;
      p[i] -= lr * ((fast[i] / (1 - std::pow(beta1, t)) + a * slow[i]) / denom +
                    weightDecay * p[i]);
    }
  }
};

/// Schedule-Free AdamW, Algorithm 1 of the paper, with x kept explicitly.
struct ReferenceScheduleFree : Rule {
  double lr, beta1, beta2, eps, weightDecay;
  int warmup;
  double r, power;
  std::vector<double> x, z, v;
  double weightSum = 0;
  ReferenceScheduleFree(double lr, double beta1, double beta2, double eps, double weightDecay,
                        int warmup, double r, double power)
      : lr(lr), beta1(beta1), beta2(beta2), eps(eps), weightDecay(weightDecay),
        warmup(warmup), r(r), power(power) {}

  void step(std::vector<double> &p, std::vector<double> g, int t) override {
    if (t == 1)
      x = z = p, v.assign(p.size(), 0);
    double gamma = lr * std::min(1.0, warmup ? double(t) / warmup : 1.0) *
                   std::sqrt(1 - std::pow(beta2, t));
    double weight = std::pow(t, r) * std::pow(gamma, power);
    weightSum += weight;
    double c = weight / weightSum;
    for (size_t i = 0; i < p.size(); ++i) {
      v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
      z[i] -= gamma * (g[i] / (std::sqrt(v[i]) + eps) + weightDecay * p[i]);
      x[i] = (1 - c) * x[i] + c * z[i];
      p[i] = (1 - beta1) * z[i] + beta1 * x[i];
    }
  }
};

double squaredNorm(const std::vector<double> &x) {
  double sum = 0;
  for (double v : x)
    sum += v * v;
  return sum;
}

/// DoG over all parameters, or L-DoG (layerwise), as the authors' dog.
struct ReferenceDoG : Reference {
  double lr, repsRel, weightDecay, eps;
  bool layerwise;
  Vectors x0;
  std::vector<double> rbar, G; // one, or one per parameter
  ReferenceDoG(double lr, double repsRel, double weightDecay, double eps, bool layerwise)
      : lr(lr), repsRel(repsRel), weightDecay(weightDecay), eps(eps), layerwise(layerwise) {}

  void step(Vectors &params, const Vectors &grads, int t) override {
    if (t == 1)
      x0 = params;
    size_t blocks = layerwise ? params.size() : 1;
    std::vector<double> distance(blocks), squares(blocks);
    Vectors g = grads;
    for (size_t k = 0; k < params.size(); ++k) {
      std::vector<double> d(params[k].size());
      for (size_t i = 0; i < d.size(); ++i) {
        g[k][i] += weightDecay * params[k][i];
        d[i] = t == 1 ? params[k][i] : params[k][i] - x0[k][i];
      }
      distance[layerwise ? k : 0] += squaredNorm(d);
      squares[layerwise ? k : 0] += squaredNorm(g[k]);
    }
    rbar.resize(blocks), G.resize(blocks);
    for (size_t b = 0; b < blocks; ++b) {
      double d = std::sqrt(distance[b]);
      rbar[b] = t == 1 ? repsRel * (1 + d) : std::max(rbar[b], d);
      G[b] = (t == 1 ? eps : G[b]) + squares[b];
    }
    for (size_t k = 0; k < params.size(); ++k) {
      size_t b = layerwise ? k : 0;
      for (size_t i = 0; i < params[k].size(); ++i)
        params[k][i] -= lr * rbar[b] / std::sqrt(G[b]) * g[k][i];
    }
  }
};

/// D-Adaptation Adam, as the authors' DAdaptAdam (version 3).
struct ReferenceDAdaptAdam : Reference {
  double lr, beta1, beta2, eps, weightDecay;
  bool decouple, biasCorrection;
  double d, growthRate, numeratorWeighted = 0;
  Vectors s, m, v;
  ReferenceDAdaptAdam(double lr, double beta1, double beta2, double eps, double weightDecay,
                      bool decouple, bool biasCorrection, double d0, double growthRate)
      : lr(lr), beta1(beta1), beta2(beta2), eps(eps), weightDecay(weightDecay),
        decouple(decouple), biasCorrection(biasCorrection), d(d0), growthRate(growthRate) {}

  void step(Vectors &params, const Vectors &grads, int t) override {
    if (t == 1)
      for (Vectors *state : {&s, &m, &v})
        for (const std::vector<double> &p : params)
          state->emplace_back(p.size(), 0.0);
    double dlr = d * lr;
    if (biasCorrection)
      dlr *= std::sqrt(1 - std::pow(beta2, t)) / (1 - std::pow(beta1, t));
    double root = std::sqrt(beta2), numerator = 0, sL1 = 0;
    Vectors g = grads;
    for (size_t k = 0; k < params.size(); ++k)
      for (size_t i = 0; i < params[k].size(); ++i) {
        if (!decouple)
          g[k][i] += weightDecay * params[k][i];
        numerator += dlr * g[k][i] * s[k][i] / (std::sqrt(v[k][i]) + eps);
        m[k][i] = beta1 * m[k][i] + dlr * (1 - beta1) * g[k][i];
        v[k][i] = beta2 * v[k][i] + (1 - beta2) * g[k][i] * g[k][i];
        s[k][i] = root * s[k][i] + dlr * (1 - root) * g[k][i];
        sL1 += std::fabs(s[k][i]);
      }
    if (sL1 > 0) {
      numeratorWeighted = root * numeratorWeighted + (1 - root) * numerator;
      d = std::max(d, std::min(numeratorWeighted / ((1 - root) * sL1), d * growthRate));
    }
    for (size_t k = 0; k < params.size(); ++k)
      for (size_t i = 0; i < params[k].size(); ++i) {
        if (decouple)
          params[k][i] -= weightDecay * dlr * params[k][i];
        params[k][i] -= m[k][i] / (std::sqrt(v[k][i]) + eps);
      }
  }
};

/// torch.optim.SGD whose lr and momentum follow schedules, functions of the
/// number of steps taken s = t - 1 (PyTorch's last_epoch).
struct ReferenceScheduledSGD : Rule {
  std::function<double(int)> lr, momentum;
  std::vector<double> buffer;
  ReferenceScheduledSGD(std::function<double(int)> lr,
                        std::function<double(int)> momentum)
      : lr(std::move(lr)), momentum(std::move(momentum)) {}

  void step(std::vector<double> &p, std::vector<double> g, int t) override {
    ReferenceSGD sgd(lr(t - 1), momentum(t - 1), 0.0, false);
    sgd.buffer = buffer;
    sgd.step(p, g, t);
    buffer = sgd.buffer;
  }
};

/// Gradient transforms written out, each on all gradients before `then`.
void scale(std::vector<double> &g, double factor) {
  for (double &x : g)
    x *= factor;
}

/// clip_grad_norm_ over all parameters, then `then`.
struct ReferenceClipGlobalNorm : Reference {
  double maxNorm;
  std::unique_ptr<Reference> then;
  ReferenceClipGlobalNorm(double maxNorm, std::function<std::unique_ptr<Reference>()> then)
      : maxNorm(maxNorm), then(then()) {}
  void step(Vectors &params, const Vectors &grads, int t) override {
    Vectors g = grads;
    double total = 0;
    for (const std::vector<double> &x : g)
      total += squaredNorm(x);
    for (std::vector<double> &x : g)
      scale(x, std::min(1.0, maxNorm / (std::sqrt(total) + 1e-6)));
    then->step(params, g, t);
  }
};

/// SAM (Foret et al. 2021): `then` with the gradient at w + rho g / |g|.
struct ReferenceSAM : Reference {
  double rho;
  std::unique_ptr<Reference> then;
  ReferenceSAM(double rho, std::function<std::unique_ptr<Reference>()> then)
      : rho(rho), then(then()) {}
  void step(Vectors &params, const Vectors &grads, int t) override {
    double total = 0;
    for (const std::vector<double> &g : grads)
      total += squaredNorm(g);
    Vectors point = params;
    for (size_t k = 0; k < point.size(); ++k)
      for (size_t i = 0; i < point[k].size(); ++i)
        point[k][i] += grads[k][i] * rho / (std::sqrt(total) + 1e-12);
    then->step(params, gradientAt(point), t);
  }
};

/// Annealed Gaussian noise (Neelakantan et al. 2015) with tgc's Philox
/// draws: parameter k's stream (upper half), block (t - 1) ceil(n / 2).
struct ReferenceGradNoise : Reference {
  double eta, gamma;
  uint64_t seed;
  std::unique_ptr<Reference> then;
  ReferenceGradNoise(double eta, double gamma, uint64_t seed,
                     std::function<std::unique_ptr<Reference>()> then)
      : eta(eta), gamma(gamma), seed(seed), then(then()) {}
  void step(Vectors &params, const Vectors &grads, int t) override {
    Vectors g = grads;
    double sigma = std::sqrt(eta / std::pow(1.0 + t, gamma));
    const char *names[] = {"w", "b"};
    for (size_t k = 0; k < g.size(); ++k) {
      uint64_t blocks = (g[k].size() + 1) / 2;
      uint64_t counter = tgc::philoxStreamForName(names[k]) + (uint64_t(1) << 31) +
                         uint64_t(t - 1) * blocks;
      for (size_t i = 0; i < g[k].size(); ++i)
        g[k][i] += tgc::philoxNormal(seed, counter, i) * sigma;
    }
    then->step(params, g, t);
  }
};

/// Grokfast's EMA filter (starting at the first gradient), then Fira's
/// limiter, then `then`.
struct ReferenceGrokfastFira : Reference {
  double alpha, lamb, gamma;
  std::unique_ptr<Reference> then;
  Vectors ema;
  std::vector<double> lastNorm;
  ReferenceGrokfastFira(double alpha, double lamb, double gamma,
                        std::function<std::unique_ptr<Reference>()> then)
      : alpha(alpha), lamb(lamb), gamma(gamma), then(then()) {}
  void step(Vectors &params, const Vectors &grads, int t) override {
    Vectors g = grads;
    if (t == 1)
      ema = grads, lastNorm.assign(grads.size(), 0.0);
    for (size_t k = 0; k < g.size(); ++k) {
      for (size_t i = 0; i < g[k].size(); ++i) {
        ema[k][i] = alpha * ema[k][i] + (1 - alpha) * g[k][i];
        g[k][i] += lamb * ema[k][i];
      }
      double norm = std::sqrt(squaredNorm(g[k]));
      double factor = lastNorm[k] > 0 && norm > gamma * lastNorm[k]
                          ? gamma * lastNorm[k] / norm : 1.0;
      scale(g[k], factor);
      lastNorm[k] = norm * factor;
    }
    then->step(params, g, t);
  }
};

/// AdaHessian (timm's Adahessian) with tgc's Rademacher probes. The loss is
/// quadratic, so H z = g(p + z) - g(p) exactly: the reference needs no
/// second derivative of its own.
struct ReferenceAdaHessian : Reference {
  double lr, beta1, beta2, eps, weightDecay, power;
  uint64_t seed;
  Vectors m, v;
  ReferenceAdaHessian(double lr, double beta1, double beta2, double eps, double weightDecay,
                      double power, uint64_t seed)
      : lr(lr), beta1(beta1), beta2(beta2), eps(eps), weightDecay(weightDecay), power(power),
        seed(seed) {}
  void step(Vectors &params, const Vectors &grads, int t) override {
    static const char *const kNames[] = {"w", "b"};
    Vectors z = params, shifted = params;
    for (size_t k = 0; k < params.size(); ++k) {
      uint64_t n = params[k].size(), blocks = (n + 3) / 4;
      uint64_t counter = tgc::philoxStreamForName(kNames[k]) + 3 * (uint64_t(1) << 30) +
                         uint64_t(t - 1) * blocks;
      for (uint64_t i = 0; i < n; ++i) {
        z[k][i] = tgc::philoxUniform(seed, counter, i) >= 0.5 ? 1.0 : -1.0;
        shifted[k][i] += z[k][i];
      }
    }
    Vectors hz = gradientAt(shifted);
    m.resize(params.size()), v.resize(params.size());
    for (size_t k = 0; k < params.size(); ++k) {
      std::vector<double> &p = params[k];
      m[k].resize(p.size()), v[k].resize(p.size());
      for (size_t i = 0; i < p.size(); ++i) {
        double d = z[k][i] * (hz[k][i] - grads[k][i]);
        p[i] *= 1 - lr * weightDecay;
        m[k][i] = beta1 * m[k][i] + (1 - beta1) * grads[k][i];
        v[k][i] = beta2 * v[k][i] + (1 - beta2) * d * d;
        double denominator = std::pow(v[k][i] / (1 - std::pow(beta2, t)), power / 2) + eps;
        p[i] -= lr / (1 - std::pow(beta1, t)) * m[k][i] / denominator;
      }
    }
  }
};

/// The schedules written out (s = t - 1 steps taken).
double progress(int s, double from, double to) {
  return std::clamp((s - from) / (to - from), 0.0, 1.0);
}
double warmupThen(double peak, int warmup, int s, double after) {
  return s < warmup ? peak * s / warmup : after;
}
std::function<double(int)> constantValue(double value) {
  return [=](int) { return value; };
}

struct OptimizerCase {
  const char *name;
  const char *attribute;
  std::function<std::unique_ptr<Reference>()> make;
};

std::ostream &operator<<(std::ostream &os, const OptimizerCase &c) {
  return os << c.attribute;
}

template <typename R, typename... Args>
std::function<std::unique_ptr<Reference>()> reference(Args... args) {
  return [=]() -> std::unique_ptr<Reference> {
    if constexpr (std::is_base_of_v<Rule, R>) {
      auto each = std::make_unique<EachParameter<R>>();
      each->make = [=] { return R(args...); };
      return each;
    } else {
      return std::make_unique<R>(args...);
    }
  };
}

class TrainStep : public testing::TestWithParam<OptimizerCase> {};

TEST_P(TrainStep, MatchesTheReferenceRuleStepByStep) {
  const OptimizerCase &config = GetParam();
  MLIRContext context;
  context.loadDialect<TGDialect, func::FuncDialect, ml_program::MLProgramDialect>();
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(spec(config.attribute), &context);
  ASSERT_TRUE(module);
  PassManager pm(&context);
  pm.addPass(createTGExpandTrainStep());
  pm.addPass(createTGAutodiff());
  ASSERT_TRUE(succeeded(pm.run(*module)));

  std::mt19937_64 rng(7);
  std::normal_distribution<double> normal;
  auto xType = RankedTensorType::get({kBatch, kIn}, Float64Type::get(&context));
  auto tType = RankedTensorType::get({kBatch, kOut}, Float64Type::get(&context));
  HostTensor x(xType), t(tType);
  for (double &v : x.data)
    v = normal(rng);
  for (double &v : t.data)
    v = normal(rng);

  std::vector<double> w = {0.1, -0.2, 0.3, 0.0, 0.5, -0.4}, b = {0.05, -0.05};
  std::unique_ptr<Reference> reference = config.make();
  Interpreter interpreter(*module);
  // Reference: y = x w^T + b, L = mean((y - t)^2), dL/dy = 2 (y - t) / 8.
  auto lossAndGradient = [&](const Vectors &params, double &loss) {
    const std::vector<double> &w = params[0], &b = params[1];
    std::vector<double> gw(w.size(), 0), gb(b.size(), 0);
    loss = 0;
    for (int n = 0; n < kBatch; ++n)
      for (int o = 0; o < kOut; ++o) {
        double y = b[o];
        for (int i = 0; i < kIn; ++i)
          y += x.data[n * kIn + i] * w[o * kIn + i];
        double diff = y - t.data[n * kOut + o];
        loss += diff * diff / (kBatch * kOut);
        double dy = 2 * diff / (kBatch * kOut);
        gb[o] += dy;
        for (int i = 0; i < kIn; ++i)
          gw[o * kIn + i] += dy * x.data[n * kIn + i];
      }
    return Vectors{gw, gb};
  };
  reference->gradientAt = [&](const Vectors &params) {
    double ignored;
    return lossAndGradient(params, ignored);
  };
  for (int step = 0; step < kSteps; ++step) {
    Vectors params = {w, b};
    double loss;
    Vectors grads = lossAndGradient(params, loss);
    reference->step(params, grads, step + 1);
    w = params[0], b = params[1];

    FailureOr<std::vector<HostTensor>> result = interpreter.call("train_step", {x, t});
    ASSERT_TRUE(succeeded(result));
    EXPECT_NEAR((*result)[0].data[0], loss, 1e-12 * (1 + loss)) << "loss, step " << step;
    FailureOr<HostTensor> wNow = interpreter.getGlobal("w"), bNow = interpreter.getGlobal("b");
    ASSERT_TRUE(succeeded(wNow) && succeeded(bNow));
    for (size_t i = 0; i < w.size(); ++i)
      EXPECT_NEAR(wNow->data[i], w[i], 1e-12) << "w[" << i << "], step " << step;
    for (size_t i = 0; i < b.size(); ++i)
      EXPECT_NEAR(bNow->data[i], b[i], 1e-12) << "b[" << i << "], step " << step;
  }
  FailureOr<HostTensor> counter = interpreter.getGlobal("train_step_step");
  ASSERT_TRUE(succeeded(counter));
  EXPECT_EQ(counter->data[0], kSteps);
}

const OptimizerCase kCases[] = {
    {"sgd", "#tg.sgd<lr = 0.1>", reference<ReferenceSGD>(0.1, 0.0, 0.0, false)},
    {"sgd_momentum", "#tg.sgd<lr = 0.05, momentum = 0.9>",
     reference<ReferenceSGD>(0.05, 0.9, 0.0, false)},
    {"sgd_nesterov_weight_decay",
     "#tg.sgd<lr = 0.05, momentum = 0.9, nesterov = true, weight_decay = 0.01>",
     reference<ReferenceSGD>(0.05, 0.9, 0.01, true)},
    {"adam", "#tg.adam<lr = 0.01>",
     reference<ReferenceAdam>(0.01, 0.9, 0.999, 1e-8, 0.0, false, false)},
    {"adam_l2_amsgrad",
     "#tg.adam<lr = 0.01, beta1 = 0.8, beta2 = 0.9, eps = 1.0e-3, weight_decay = 0.1, amsgrad = true>",
     reference<ReferenceAdam>(0.01, 0.8, 0.9, 1e-3, 0.1, true, false)},
    {"adamw", "#tg.adamw<lr = 0.01, weight_decay = 0.5>",
     reference<ReferenceAdam>(0.01, 0.9, 0.999, 1e-8, 0.5, false, true)},
    {"adamw_amsgrad", "#tg.adamw<lr = 0.01, beta2 = 0.5, amsgrad = true>",
     reference<ReferenceAdam>(0.01, 0.9, 0.5, 1e-8, 0.01, true, true)},
    {"adamax", "#tg.adamax<lr = 0.01, beta2 = 0.5, eps = 1.0e-3, weight_decay = 0.1>",
     reference<ReferenceAdamax>(0.01, 0.9, 0.5, 1e-3, 0.1)},
    {"adagrad",
     "#tg.adagrad<lr = 0.1, lr_decay = 0.1, weight_decay = 0.1, initial_accumulator_value = 0.5, eps = 1.0e-3>",
     reference<ReferenceAdagrad>(0.1, 0.1, 0.1, 0.5, 1e-3)},
    {"rmsprop", "#tg.rmsprop<lr = 0.01, weight_decay = 0.1>",
     reference<ReferenceRMSprop>(0.01, 0.99, 1e-8, 0.1, 0.0, false)},
    {"rmsprop_centered_momentum",
     "#tg.rmsprop<lr = 0.01, alpha = 0.9, eps = 1.0e-3, momentum = 0.5, centered = true>",
     reference<ReferenceRMSprop>(0.01, 0.9, 1e-3, 0.0, 0.5, true)},
    {"lion", "#tg.lion<lr = 0.01, beta1 = 0.8, weight_decay = 0.5>",
     reference<ReferenceLion>(0.01, 0.8, 0.99, 0.5)},
    {"nadam", "#tg.nadam<lr = 0.01, beta2 = 0.9, eps = 1.0e-3, weight_decay = 0.1, momentum_decay = 0.5>",
     reference<ReferenceNAdam>(0.01, 0.9, 0.9, 1e-3, 0.1, 0.5)},
    {"diffgrad", "#tg.diffgrad<lr = 0.01, beta2 = 0.9, eps = 1.0e-3, weight_decay = 0.1>",
     reference<ReferenceDiffGrad>(0.01, 0.9, 0.9, 1e-3, 0.1)},
    {"adabound", "#tg.adabound<lr = 0.01, beta2 = 0.9, final_lr = 0.05, gamma = 0.1>",
     reference<ReferenceAdaBound>(0.01, 0.9, 0.9, 0.05, 0.1, 1e-8, 0.0, false)},
    {"amsbound",
     "#tg.adabound<lr = 0.01, beta2 = 0.5, final_lr = 0.02, gamma = 0.5, weight_decay = 0.1, amsbound = true>",
     reference<ReferenceAdaBound>(0.01, 0.9, 0.5, 0.02, 0.5, 1e-8, 0.1, true)},
    {"adamod", "#tg.adamod<lr = 0.01, beta2 = 0.9, beta3 = 0.5, weight_decay = 0.1>",
     reference<ReferenceAdaMod>(0.01, 0.9, 0.9, 0.5, 1e-8, 0.1)},
    {"grams", "#tg.grams<lr = 0.01, beta2 = 0.9, weight_decay = 0.1>",
     reference<ReferenceGrams>(0.01, 0.9, 0.9, 1e-8, 0.1)},
    {"ademamix",
     "#tg.ademamix<lr = 0.01, beta3 = 0.99, alpha = 5.0, beta3_warmup = 4, alpha_warmup = 3, weight_decay = 0.1>",
     reference<ReferenceAdEMAMix>(0.01, 0.9, 0.999, 0.99, 5.0, 4, 3, 1e-8, 0.1)},
    {"adahessian", "#tg.adahessian<lr = 0.05, beta2 = 0.9, eps = 1.0e-3, weight_decay = 0.1, seed = 3>",
     reference<ReferenceAdaHessian>(0.05, 0.9, 0.9, 1e-3, 0.1, 1.0, uint64_t(3))},
    {"adahessian_power", "#tg.adahessian<lr = 0.05, beta1 = 0.5, hessian_power = 0.5>",
     reference<ReferenceAdaHessian>(0.05, 0.5, 0.999, 1e-8, 0.0, 0.5, uint64_t(0))},
    {"schedule_free_adamw",
     "#tg.schedule_free_adamw<lr = 0.05, beta1 = 0.8, warmup_steps = 3, weight_decay = 0.1, r = 0.5, weight_lr_power = 1.5>",
     reference<ReferenceScheduleFree>(0.05, 0.8, 0.999, 1e-8, 0.1, 3, 0.5, 1.5)},
    {"dog", "#tg.dog<reps_rel = 0.01, weight_decay = 0.1>",
     reference<ReferenceDoG>(1.0, 0.01, 0.1, 1e-8, false)},
    {"ldog", "#tg.dog<lr = 0.5, reps_rel = 0.1, layerwise = true>",
     reference<ReferenceDoG>(0.5, 0.1, 0.0, 1e-8, true)},
    {"dadapt_adam", "#tg.dadapt_adam<d0 = 0.01, weight_decay = 0.1>",
     reference<ReferenceDAdaptAdam>(1.0, 0.9, 0.999, 1e-8, 0.1, false, false, 0.01, INFINITY)},
    {"dadapt_adam_decoupled",
     "#tg.dadapt_adam<lr = 0.5, beta2 = 0.9, weight_decay = 0.1, decouple = true, use_bias_correction = true, d0 = 0.01, growth_rate = 2.0>",
     reference<ReferenceDAdaptAdam>(0.5, 0.9, 0.9, 1e-8, 0.1, true, true, 0.01, 2.0)},
    // Schedules, for lr and momentum.
    {"sched_cosine",
     "#tg.sgd<lr = #tg.cosine<peak = 0.1, warmup = 2, total = 5, final = 0.01>, momentum = 0.5>",
     reference<ReferenceScheduledSGD>(
         [](int s) {
           double x = progress(s, 2, 5);
           return warmupThen(0.1, 2, s, 0.01 + 0.09 / 2 * (std::cos(M_PI * x) + 1));
         },
         constantValue(0.5))},
    {"sched_linear_decay", "#tg.sgd<lr = #tg.linear_decay<peak = 0.1, total = 4, final = 0.02>>",
     reference<ReferenceScheduledSGD>(
         [](int s) { return 0.1 + (0.02 - 0.1) * progress(s, 0, 4); }, constantValue(0.0))},
    {"sched_one_cycle", "#tg.sgd<lr = #tg.one_cycle<peak = 0.1, total = 6, pct_start = 0.5>>",
     reference<ReferenceScheduledSGD>(
         [](int s) {
           auto anneal = [](double start, double end, double x) {
             return end + (start - end) / 2 * (std::cos(M_PI * x) + 1);
           };
           double initial = 0.1 / 25, end1 = 0.5 * 6 - 1;
           return s <= end1 ? anneal(initial, 0.1, s / end1)
                            : anneal(0.1, initial / 1e4, (s - end1) / (5 - end1));
         },
         constantValue(0.0))},
    {"sched_wsd", "#tg.sgd<lr = #tg.wsd<peak = 0.1, warmup = 1, total = 5, decay = 2, final = 0.01>>",
     reference<ReferenceScheduledSGD>(
         [](int s) { return warmupThen(0.1, 1, s, 0.1 + (0.01 - 0.1) * progress(s, 3, 5)); },
         constantValue(0.0))},
    {"sched_constant_momentum_warmup",
     "#tg.sgd<lr = #tg.constant_schedule<value = 0.1, factor = 0.25, steps = 2>, momentum = #tg.linear_warmup<peak = 0.9, warmup = 4, start = 0.1>>",
     reference<ReferenceScheduledSGD>(
         [](int s) { return s < 2 ? 0.025 : 0.1; },
         [](int s) { return 0.1 + 0.8 * progress(s, 0, 4); })},
    // Gradient transforms before an optimizer.
    {"clip_global_norm",
     "#tg.sgd<lr = 0.1, momentum = 0.5> transforms [#tg.clip_global_norm<max_norm = 0.5>]",
     reference<ReferenceClipGlobalNorm>(0.5, reference<ReferenceSGD>(0.1, 0.5, 0.0, false))},
    {"grokfast_fira",
     "#tg.adam<lr = 0.01> transforms [#tg.grokfast<alpha = 0.8, lamb = 2.0>, #tg.fira_limiter<gamma = 1.05>]",
     reference<ReferenceGrokfastFira>(
         0.8, 2.0, 1.05, reference<ReferenceAdam>(0.01, 0.9, 0.999, 1e-8, 0.0, false, false))},
    {"grad_noise",
     "#tg.sgd<lr = 0.1> transforms [#tg.grad_noise<eta = 0.01, gamma = 0.55, seed = 5>]",
     reference<ReferenceGradNoise>(0.01, 0.55, 5, reference<ReferenceSGD>(0.1, 0.0, 0.0, false))},
    {"sam", "#tg.sgd<lr = 0.1, momentum = 0.5> transforms [#tg.sam<rho = 0.1>]",
     reference<ReferenceSAM>(0.1, reference<ReferenceSGD>(0.1, 0.5, 0.0, false))},
    {"decoupled_weight_decay",
     "#tg.adam<lr = 0.01> transforms [#tg.decoupled_weight_decay<rate = 5.0e-3>]",
     reference<ReferenceAdam>(0.01, 0.9, 0.999, 1e-8, 0.5, false, true)},
};

INSTANTIATE_TEST_SUITE_P(Optimizers, TrainStep, testing::ValuesIn(kCases),
                         [](const testing::TestParamInfo<OptimizerCase> &info) {
                           return std::string(info.param.name);
                         });

// The convex counterexample of Reddi et al. 2018 ("On the Convergence of
// Adam and Beyond", Theorem 1): on x in [-1, 1], f_t(x) = C x when
// t mod 3 == 1, else -x, with C = 3 > 2, beta1 = 0, beta2 = 1 / (1 + C^2).
// The optimum of the summed loss is x = -1; Adam's rare large gradient is
// forgotten by its second moment, so the two small ones win and Adam goes to
// +1, while AMSGrad keeps the largest second moment and goes to -1. The spec
// is trained by the interpreter, with the projection onto [-1, 1] after each
// step.
double trainCounterexample(bool amsgrad) {
  std::string spec = std::string(R"(
ml_program.global private mutable @x(dense<0.0> : tensor<f64>) : tensor<f64>
func.func @loss(%c: tensor<f64>) -> tensor<f64> {
  %x = ml_program.global_load @x : tensor<f64>
  %l = tg.mul %c, %x : tensor<f64>
  return %l : tensor<f64>
}
tg.train_step @train_step loss @loss optimizer #tg.adam<lr = 0.05, beta1 = 0.0, beta2 = 0.1, amsgrad = )") +
                     (amsgrad ? "true" : "false") + ">\n";
  MLIRContext context;
  context.loadDialect<TGDialect, func::FuncDialect, ml_program::MLProgramDialect>();
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(spec, &context);
  EXPECT_TRUE(module);
  PassManager pm(&context);
  pm.addPass(createTGExpandTrainStep());
  pm.addPass(createTGAutodiff());
  EXPECT_TRUE(succeeded(pm.run(*module)));
  Interpreter interpreter(*module);
  HostTensor c(RankedTensorType::get({}, Float64Type::get(&context)));
  double x = 0, average = 0;
  const int steps = 600, averaged = 30;
  for (int t = 1; t <= steps; ++t) {
    c.data[0] = t % 3 == 1 ? 3.0 : -1.0;
    EXPECT_TRUE(succeeded(interpreter.call("train_step", {c})));
    FailureOr<HostTensor> now = interpreter.getGlobal("x");
    EXPECT_TRUE(succeeded(now));
    x = std::clamp(now->data[0], -1.0, 1.0);
    now->data[0] = x;
    interpreter.setGlobal("x", *now);
    if (t > steps - averaged)
      average += x / averaged;
  }
  return average;
}

TEST(AMSGradCounterexample, AdamConvergesToTheWorstPoint) {
  EXPECT_GT(trainCounterexample(/*amsgrad=*/false), 0.9);
}

TEST(AMSGradCounterexample, AMSGradConvergesToTheOptimum) {
  EXPECT_LT(trainCounterexample(/*amsgrad=*/true), -0.9);
}

// AdaHessian averages |D| over each kernel's spatial block (dimensions 2 and
// up) of a parameter of rank 3 or more. For L(k) = sum(c k^2) / 2 the
// Hessian is diag(c), so D = z (c z) = c whatever the probes, and the step
// is Adam's with the second moment of the block means of |c|.
TEST(AdaHessianKernelAveraging, AveragesTheHessianOverEachKernel) {
  constexpr int kOuter = 4, kSpatial = 3, kSteps = 5;
  const double lr = 0.1, beta1 = 0.9, beta2 = 0.9, eps = 1e-8;
  std::string spec = R"(
ml_program.global private mutable @k(dense<[[[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]], [[-2.0, 1.0, 0.5], [0.1, -0.3, 0.9]]]> : tensor<2x2x3xf64>) : tensor<2x2x3xf64>
func.func @loss(%c: tensor<2x2x3xf64>) -> tensor<f64> {
  %k = ml_program.global_load @k : tensor<2x2x3xf64>
  %kk = tg.mul %k, %k : tensor<2x2x3xf64>
  %ckk = tg.mul %c, %kk : tensor<2x2x3xf64>
  %s = tg.reduce_sum %ckk [0, 1, 2] : tensor<2x2x3xf64> -> tensor<f64>
  %half = tg.constant dense<0.5> : tensor<f64>
  %l = tg.mul %s, %half : tensor<f64>
  return %l : tensor<f64>
}
tg.train_step @train_step loss @loss optimizer #tg.adahessian<lr = 0.1, beta2 = 0.9>
)";
  MLIRContext context;
  context.loadDialect<TGDialect, func::FuncDialect, ml_program::MLProgramDialect>();
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(spec, &context);
  ASSERT_TRUE(module);
  PassManager pm(&context);
  pm.addPass(createTGExpandTrainStep());
  pm.addPass(createTGAutodiff());
  ASSERT_TRUE(succeeded(pm.run(*module)));
  Interpreter interpreter(*module);

  HostTensor c(RankedTensorType::get({2, 2, 3}, Float64Type::get(&context)));
  c.data = {1.0, -2.0, 0.5, 3.0, 1.0, 2.0, -0.5, 0.25, 4.0, 2.0, -1.0, 0.5};
  std::vector<double> k = {0.5, -1.0, 2.0, 1.5, 0.25, -0.75, -2.0, 1.0, 0.5, 0.1, -0.3, 0.9};
  std::vector<double> m(k.size()), v(k.size());
  for (int t = 1; t <= kSteps; ++t) {
    for (int block = 0; block < kOuter; ++block) {
      double mean = 0;
      for (int i = 0; i < kSpatial; ++i)
        mean += std::fabs(c.data[block * kSpatial + i]) / kSpatial;
      for (int i = block * kSpatial; i < (block + 1) * kSpatial; ++i) {
        m[i] = beta1 * m[i] + (1 - beta1) * c.data[i] * k[i];
        v[i] = beta2 * v[i] + (1 - beta2) * mean * mean;
        double denominator = std::sqrt(v[i] / (1 - std::pow(beta2, t))) + eps;
        k[i] -= lr / (1 - std::pow(beta1, t)) * m[i] / denominator;
      }
    }
    ASSERT_TRUE(succeeded(interpreter.call("train_step", {c})));
    FailureOr<HostTensor> now = interpreter.getGlobal("k");
    ASSERT_TRUE(succeeded(now));
    for (size_t i = 0; i < k.size(); ++i)
      EXPECT_NEAR(now->data[i], k[i], 1e-12) << "k[" << i << "], step " << t;
  }
}

} // namespace
