//===- TrainMain.cpp - the training program around a compiled model -------===//
//
// tgc_train_main parses the flags, checks everything that can be checked
// (data files against the model, output paths, the checkpoint) before the
// first step, then runs the loop: shuffle at each epoch start, fill a batch,
// step, report, save, evaluate.
//
// Resuming is bit-exact because the data position is a function of the step
// count: step s uses batch s % B of epoch s / B (B batches per epoch), and an
// epoch's order depends only on (seed, epoch). A checkpoint stores the step,
// the epoch and the seed; the model's state holds the rest.
//
// Models that can prefetch (CUDA) get their batches from a producer thread
// (BatchFeed): it fills batch s + 1 into pinned memory and starts its copy to
// the device while step s runs, computing the same data position from the
// step, so the batches and losses are those of the sequential loop. Each
// evaluation reads the test batches through a BatchFeed of its own, prefetched
// the same way.
//
//===----------------------------------------------------------------------===//

#include "Checkpoint.h"
#include "Dataset.h"
#include "Error.h"
#include "Files.h"
#include "Progress.h"
#include "ThreadPool.h"

#include <sys/stat.h>

#include <cerrno>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

namespace tgc {
namespace {

constexpr const char *kUsage = R"(Usage: %s --data DIR [options]

Trains model '%s' with the runtime of tgc.

Data:
  --data DIR          directory with train-images-idx3-ubyte.gz,
                      train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and
                      t10k-labels-idx1-ubyte.gz (the IDX files of MNIST or
                      Fashion-MNIST, gzip'd or not), or train-images.npy,
                      train-labels.npy, t10k-images.npy, t10k-labels.npy
Length (one of):
  --epochs N          train N epochs in all (default 1)
  --steps N           train N steps in all (a resumed run counts its earlier steps)
Training:
  --seed N            seed of initialization and shuffling (default 0)
  --eval              after each epoch and at the end, test-set loss (and
                      accuracy when the model can predict)
Checkpoints:
  --save PATH         save a safetensors checkpoint at the end
  --save-every N      also save every N steps (needs --save)
  --resume PATH       continue from a checkpoint, bit-exactly
Output:
  --metrics FILE.csv  one row per step: step, epoch, loss, examples/s, and the
                      test loss and accuracy after evaluations
  --quiet             no progress display or summary, errors only
  --help              this text

Exit status: 0 on success, 1 when training failed, 2 for bad flags.
Environment: TGC_NUM_THREADS sets the thread count (default: all CPUs);
TGC_PREFETCH=0 fills and uploads each batch in its step (CUDA models prefetch
the next batch on a second thread during each step and evaluation by
default). CUDA models' FP32 matmuls (and fused f32 attention) are exact FP32
unless TGC_CUDA_MATMUL=tf32 or bf16 runs them on tensor cores from rounded
operands, or 3xtf32 on TF32 tensor cores at FP32's accuracy (docs/runtime.md
lists the other TGC_CUDA_* settings).
)";

struct TrainOptions {
  std::string dataDir, savePath, resumePath, metricsPath;
  int64_t epochs = 0, steps = 0, saveEvery = 0;
  std::optional<uint64_t> seed;
  bool eval = false, quiet = false, help = false;
};

uint64_t parseNumber(const std::string &flag, const std::string &text, uint64_t min,
                     uint64_t max = INT64_MAX) {
  char *end = nullptr;
  errno = 0;
  unsigned long long value = std::strtoull(text.c_str(), &end, 10);
  if (text.empty() || text[0] < '0' || text[0] > '9' || *end != '\0' || errno != 0 || value < min ||
      value > max)
    fail(TGC_ERROR_ARGUMENT, "%s needs an integer %s, got '%s'", flag.c_str(),
         min > 0 ? "above 0" : "of 0 or more", text.c_str());
  return value;
}

TrainOptions parseFlags(int argc, char **argv) {
  TrainOptions options;
  for (int i = 1; i < argc; ++i) {
    std::string argument = argv[i], flag = argument, inlineValue;
    size_t equals = argument.find('=');
    bool hasInlineValue = argument.rfind("--", 0) == 0 && equals != std::string::npos;
    if (hasInlineValue) {
      flag = argument.substr(0, equals);
      inlineValue = argument.substr(equals + 1);
    }
    auto value = [&]() -> std::string {
      if (hasInlineValue)
        return inlineValue;
      if (i + 1 >= argc)
        fail(TGC_ERROR_ARGUMENT, "%s needs a value", flag.c_str());
      return argv[++i];
    };
    auto noValue = [&] {
      if (hasInlineValue)
        fail(TGC_ERROR_ARGUMENT, "%s takes no value", flag.c_str());
      return true;
    };
    if (flag == "--help" || flag == "-h")
      options.help = noValue();
    else if (flag == "--data")
      options.dataDir = value();
    else if (flag == "--epochs")
      options.epochs = int64_t(parseNumber(flag, value(), 1));
    else if (flag == "--steps")
      options.steps = int64_t(parseNumber(flag, value(), 1));
    else if (flag == "--seed")
      options.seed = parseNumber(flag, value(), 0, UINT64_MAX);
    else if (flag == "--save")
      options.savePath = value();
    else if (flag == "--save-every")
      options.saveEvery = int64_t(parseNumber(flag, value(), 1));
    else if (flag == "--resume")
      options.resumePath = value();
    else if (flag == "--eval")
      options.eval = noValue();
    else if (flag == "--metrics")
      options.metricsPath = value();
    else if (flag == "--quiet")
      options.quiet = noValue();
    else if (flag.rfind("-", 0) == 0)
      fail(TGC_ERROR_ARGUMENT, "unknown flag '%s'", argument.c_str());
    else
      fail(TGC_ERROR_ARGUMENT, "unexpected argument '%s'", argument.c_str());
  }
  if (options.help)
    return options;
  if (options.dataDir.empty())
    fail(TGC_ERROR_ARGUMENT, "--data DIR is required");
  if (options.epochs && options.steps)
    fail(TGC_ERROR_ARGUMENT, "give --epochs or --steps, not both");
  if (options.saveEvery && options.savePath.empty())
    fail(TGC_ERROR_ARGUMENT, "--save-every needs --save PATH");
  if (!options.epochs && !options.steps)
    options.epochs = 1;
  return options;
}

/// The first of `<dir>/<stem><suffix>` for the IDX and .npy spellings.
std::string findDataFile(const std::string &dir, const std::string &stem, int idxRank) {
  std::string idx = format("%s-idx%d-ubyte", stem.c_str(), idxRank);
  const std::string candidates[] = {idx + ".gz", idx, stem + ".npy"};
  for (const std::string &name : candidates) {
    struct stat status;
    std::string path = dir + "/" + name;
    if (stat(path.c_str(), &status) == 0)
      return path;
  }
  fail(TGC_ERROR_IO, "%s: no %s, %s or %s", dir.c_str(), candidates[0].c_str(),
       candidates[1].c_str(), candidates[2].c_str());
}

/// The model's input buffers for one batch, from the caching allocator or,
/// for prefetches, pinned memory.
class BatchBuffers {
public:
  BatchBuffers(const tgc_model &model, bool pinned) : pinned(pinned) {
    for (int i = 0; i < model.num_inputs; ++i) {
      const tgc_tensor &input = model.inputs[i];
      size_t bytes = elementSize(input.dtype);
      for (int d = 0; d < input.rank; ++d)
        bytes *= size_t(input.shape[d]);
      void *buffer = pinned ? tgc_cuda_host_alloc(bytes) : tgc_alloc(bytes, 0);
      if (!buffer && pinned)
        fail(TGC_ERROR_DEVICE, "%s", tgc_last_error());
      if (!buffer)
        throw std::bad_alloc();
      pointers.push_back(buffer);
    }
  }
  ~BatchBuffers() {
    for (void *buffer : pointers)
      pinned ? tgc_cuda_host_free(buffer) : tgc_free(buffer);
  }
  BatchBuffers(const BatchBuffers &) = delete;
  BatchBuffers &operator=(const BatchBuffers &) = delete;

  void *const *data() const { return pointers.data(); }
  void *operator[](size_t index) const { return pointers[index]; }

private:
  bool pinned;
  std::vector<void *> pointers;
};

/// The buffer sets of a BatchFeed: one of ordinary memory, or two of pinned
/// memory to prefetch from. Allocated once and reused by every feed over
/// them (pinned allocations are slow).
class BatchSets {
public:
  BatchSets(const tgc_model &model, bool prefetch) : prefetch(prefetch) {
    for (int set = 0; set < (prefetch ? 2 : 1); ++set)
      sets.push_back(std::make_unique<BatchBuffers>(model, prefetch));
  }

  bool prefetches() const { return prefetch; }
  /// The set of the `index`th batch of a feed.
  const BatchBuffers &operator[](int64_t index) const { return *sets[size_t(index) % sets.size()]; }

private:
  bool prefetch;
  std::vector<std::unique_ptr<BatchBuffers>> sets;
};

/// Batches [first, end) of a sequence in order, each written by `fill`: the
/// training steps, or an evaluation's test batches. Without prefetch, take()
/// fills the one buffer set on the calling thread. With it, a producer thread
/// fills the two pinned sets in turn and prefetches each: batch i + 1 while
/// batch i is used. A set is refilled once the calls that used it have
/// returned (release(); the model's contract), and a failure of the producer
/// is rethrown by the take() that needs its batch.
class BatchFeed {
public:
  using Fill = std::function<void(int64_t index, void *const *inputs)>;

  BatchFeed(const tgc_model &model, const BatchSets &sets, int64_t first, int64_t end, Fill fill)
      : model(model), sets(sets), fill(std::move(fill)), released(first), filled(first) {
    if (sets.prefetches())
      producer = std::thread([this, first, end] { produce(first, end); });
  }
  ~BatchFeed() {
    if (!producer.joinable())
      return;
    {
      std::lock_guard<std::mutex> lock(mutex);
      stopping = true;
    }
    changed.notify_all();
    producer.join();
  }
  BatchFeed(const BatchFeed &) = delete;
  BatchFeed &operator=(const BatchFeed &) = delete;

  /// The inputs of batch `index` (taken in order).
  void *const *take(int64_t index) {
    if (!producer.joinable()) {
      fill(index, sets[index].data());
      return sets[index].data();
    }
    std::unique_lock<std::mutex> lock(mutex);
    changed.wait(lock, [&] { return filled > index || error; });
    if (filled <= index)
      std::rethrow_exception(error);
    return sets[index].data();
  }

  /// The calls on batch `index` have returned: its buffers may be refilled.
  void release(int64_t index) {
    if (!producer.joinable())
      return;
    {
      std::lock_guard<std::mutex> lock(mutex);
      released = index + 1;
    }
    changed.notify_all();
  }

private:
  void produce(int64_t first, int64_t end) {
    try {
      for (int64_t index = first; index < end; ++index) {
        {
          // The set of batch index - 2 is free once its calls have returned.
          std::unique_lock<std::mutex> lock(mutex);
          changed.wait(lock, [&] { return released >= index - 1 || stopping; });
          if (stopping)
            return;
        }
        const BatchBuffers &buffers = sets[index];
        fill(index, buffers.data());
        {
          // A model takes one prefetch at a time (model.h), and the training
          // feed's producer may still run during an evaluation's.
          static std::mutex prefetching;
          std::lock_guard<std::mutex> lock(prefetching);
          if (model.prefetch(buffers.data()) != 0)
            fail(TGC_ERROR_DEVICE, "%s", tgc_last_error());
        }
        {
          std::lock_guard<std::mutex> lock(mutex);
          filled = index + 1;
        }
        changed.notify_all();
      }
    } catch (...) {
      {
        std::lock_guard<std::mutex> lock(mutex);
        error = std::current_exception();
      }
      changed.notify_all();
    }
  }

  const tgc_model &model;
  const BatchSets &sets;
  Fill fill;
  std::thread producer;
  std::mutex mutex;
  std::condition_variable changed;
  int64_t released; // batches before it have been used
  int64_t filled;   // batches before it are filled (and prefetched)
  bool stopping = false;
  std::exception_ptr error;
};

struct EvalResult {
  double loss = 0;
  double accuracy = 0; // NaN without predict
  int64_t lossExamples = 0, accuracyExamples = 0;
};

/// CSV rows as the loop produces them, flushed each row so that a crash
/// keeps everything before it.
class MetricsFile {
public:
  MetricsFile(const std::string &path, bool append) : path(path) {
    struct stat status;
    bool continuing = append && stat(path.c_str(), &status) == 0 && status.st_size > 0;
    file = std::fopen(path.c_str(), continuing ? "a" : "w");
    if (!file)
      fail(TGC_ERROR_IO, "%s: cannot write the metrics file: %s", path.c_str(),
           std::strerror(errno));
    if (!continuing)
      writeLine("step,epoch,loss,examples_per_s,eval_loss,eval_accuracy\n");
  }
  ~MetricsFile() {
    if (file)
      std::fclose(file);
  }
  MetricsFile(const MetricsFile &) = delete;
  MetricsFile &operator=(const MetricsFile &) = delete;

  /// %.9g prints every float exactly, so losses can be compared bit for bit.
  void row(int64_t step, int64_t epoch, float loss, double examplesPerSecond,
           const EvalResult *eval) {
    std::string line = format("%lld,%lld,%.9g,%.1f,", (long long)step, (long long)epoch,
                              double(loss), examplesPerSecond);
    if (eval)
      line += format("%.9g,%s", eval->loss,
                     std::isnan(eval->accuracy) ? "" : format("%.6f", eval->accuracy).c_str());
    else
      line += ",";
    writeLine(line + "\n");
  }

private:
  void writeLine(const std::string &line) {
    if (std::fputs(line.c_str(), file) < 0 || std::fflush(file) != 0)
      fail(TGC_ERROR_IO, "%s: cannot write the metrics file: %s", path.c_str(),
           std::strerror(errno));
  }

  std::string path;
  std::FILE *file = nullptr;
};

class Trainer {
public:
  Trainer(const tgc_model &model, const TrainOptions &options)
      : model(model), options(options), progress(stdout, !options.quiet) {}

  void run() {
    prepare();
    StepClock clock;
    float lastLoss = NAN;
    double lossSum = 0; // since the epoch (or the resumed run) began
    int64_t lossCount = 0;
    int64_t lastEvalStep = -1;
    while (step < totalSteps) {
      int64_t epoch = step / stepsPerEpoch, batch = step % stepsPerEpoch;
      if (batch == 0)
        lossSum = 0, lossCount = 0;
      clock.beginStep();
      lastLoss = model.step(feed->take(step));
      feed->release(step);
      clock.endStep(train->batchSize());
      step += 1;
      // Stop before a diverged state overwrites a good checkpoint (any
      // status but TGC_ERROR_ARGUMENT exits with 1).
      if (!std::isfinite(lastLoss))
        fail(TGC_ERROR_MISMATCH, "loss is %f at step %lld (epoch %lld): training diverged",
             double(lastLoss), (long long)step, (long long)epoch + 1);
      lossSum += lastLoss;
      lossCount += 1;

      bool epochDone = step % stepsPerEpoch == 0;
      std::optional<EvalResult> eval;
      if (options.eval && (epochDone || step == totalSteps)) {
        eval = evaluate();
        lastEvalStep = step;
      }
      if (metrics)
        metrics->row(step, epoch + 1, lastLoss, clock.examplesPerSecond(), eval ? &*eval : nullptr);
      double meanLoss = lossSum / double(lossCount);
      if (epochDone)
        progress.print(format("epoch %lld/%lld done: train loss %.4f", (long long)epoch + 1,
                              (long long)totalEpochs, meanLoss) +
                       (eval ? describe(*eval) : ""));
      else
        progress.update(format("epoch %lld/%lld  step %lld/%lld  loss %.4f  %s ex/s  ETA %s",
                               (long long)epoch + 1, (long long)totalEpochs, (long long)step,
                               (long long)totalSteps, meanLoss,
                               formatRate(clock.examplesPerSecond()).c_str(),
                               formatDuration(clock.secondsFor(totalSteps - step)).c_str()));
      if (options.saveEvery && step % options.saveEvery == 0 && step < totalSteps)
        save();
    }

    if (!options.savePath.empty())
      save();
    std::optional<EvalResult> finalEval;
    if (options.eval && lastEvalStep != step)
      finalEval = evaluate();
    std::string summary =
        runSteps() == 0 ? format("nothing to train: the run is at step %lld of %lld",
                                 (long long)step, (long long)totalSteps)
                        : format("trained %lld steps in %s, last loss %.4f", (long long)runSteps(),
                                 formatDuration(clock.elapsedSeconds()).c_str(), double(lastLoss));
    if (finalEval)
      summary += describe(*finalEval);
    if (!options.savePath.empty())
      summary += "; saved " + options.savePath;
    progress.print(summary);
  }

private:
  /// Everything that can fail before the first step.
  void prepare() {
    const char *threads = std::getenv("TGC_NUM_THREADS");
    if (threads && !parseThreadCount(threads))
      fail(TGC_ERROR_ARGUMENT, "TGC_NUM_THREADS is '%s'; it must be a positive integer", threads);
    const char *prefetchSetting = std::getenv("TGC_PREFETCH");
    if (prefetchSetting && std::strcmp(prefetchSetting, "0") != 0 &&
        std::strcmp(prefetchSetting, "1") != 0)
      fail(TGC_ERROR_ARGUMENT, "TGC_PREFETCH is '%s'; it must be 0 or 1", prefetchSetting);
    bool prefetch = model.prefetch && !(prefetchSetting && *prefetchSetting == '0');
    const std::string &dir = options.dataDir;
    std::string trainImages = findDataFile(dir, "train-images", 3);
    std::string trainLabels = findDataFile(dir, "train-labels", 1);
    std::string testImages, testLabels;
    if (options.eval) {
      testImages = findDataFile(dir, "t10k-images", 3);
      testLabels = findDataFile(dir, "t10k-labels", 1);
    }
    if (!options.savePath.empty())
      checkCanCreate(options.savePath, "checkpoint");
    if (!options.metricsPath.empty())
      checkCanCreate(options.metricsPath, "metrics file");

    train = std::make_unique<Dataset>(trainImages, trainLabels, model);
    if (options.eval)
      test = std::make_unique<Dataset>(testImages, testLabels, model);
    stepsPerEpoch = train->numBatches();
    if (options.epochs > INT64_MAX / stepsPerEpoch)
      fail(TGC_ERROR_ARGUMENT, "--epochs %lld is too many", (long long)options.epochs);
    totalSteps = options.steps ? options.steps : options.epochs * stepsPerEpoch;
    totalEpochs = (totalSteps + stepsPerEpoch - 1) / stepsPerEpoch;

    seed = options.seed.value_or(0);
    model.init(seed);
    if (!options.resumePath.empty())
      resume();
    startStep = step;
    trainSets = std::make_unique<BatchSets>(model, prefetch);
    feed = std::make_unique<BatchFeed>(
        model, *trainSets, startStep, totalSteps,
        [this](int64_t step, void *const *inputs) { fillTrainingBatch(step, inputs); });
    if (options.eval)
      evalSets = std::make_unique<BatchSets>(model, prefetch);
    if (options.eval && canPredict())
      logits.assign(size_t(test->batchSize() * model.num_classes), 0.0f);
    if (!options.metricsPath.empty())
      metrics = std::make_unique<MetricsFile>(options.metricsPath, !options.resumePath.empty());

    progress.print(format("training model '%s': %lld examples, %lld batches of %lld per epoch, "
                          "%lld steps, %d threads",
                          model.name, (long long)train->numExamples(), (long long)stepsPerEpoch,
                          (long long)train->batchSize(), (long long)totalSteps,
                          int(tgc_num_threads())) +
                   (prefetch ? ", batches prefetched by a second thread" : "") +
                   (step ? format(", resuming at step %lld", (long long)step) : ""));
  }

  void resume() {
    const char *path = options.resumePath.c_str();
    tgc_checkpoint_info info = loadCheckpoint(options.resumePath, model);
    if (options.seed && *options.seed != info.seed)
      fail(TGC_ERROR_MISMATCH, "%s: checkpoint of a run with --seed %llu, not %llu", path,
           (unsigned long long)info.seed, (unsigned long long)*options.seed);
    if (info.epoch != info.step / stepsPerEpoch)
      fail(TGC_ERROR_MISMATCH,
           "%s: checkpoint at step %lld of epoch %lld does not fit this data's %lld batches "
           "per epoch",
           path, (long long)info.step, (long long)info.epoch, (long long)stepsPerEpoch);
    seed = info.seed;
    step = info.step;
  }

  void save() {
    tgc_checkpoint_info info = {step, step / stepsPerEpoch, seed};
    saveCheckpoint(options.savePath, model, info);
  }

  /// Step `s` uses batch s % B of epoch s / B, shuffled at the epoch's start
  /// (or at the run's first step, when it resumes mid-epoch). Called on the
  /// producer thread when it runs.
  void fillTrainingBatch(int64_t s, void *const *inputs) {
    int64_t epoch = s / stepsPerEpoch, batch = s % stepsPerEpoch;
    if (batch == 0 || s == startStep)
      train->shuffle(seed, epoch);
    train->getBatch(batch, inputs);
  }

  /// The test loss over the full batches (the loss is a batch mean) and the
  /// accuracy over every test example: the examples after the last full
  /// batch are the last rows of the window that ends at the last example,
  /// one more batch of the feed, which only predict reads.
  EvalResult evaluate() {
    if (model.eval_view)
      model.eval_view();
    EvalResult result;
    int64_t batchSize = test->batchSize(), fullBatches = test->numBatches();
    int64_t rest = canPredict() ? test->numExamples() - fullBatches * batchSize : 0;
    int64_t numBatches = fullBatches + (rest > 0 ? 1 : 0), correct = 0;
    BatchFeed batches(model, *evalSets, 0, numBatches, [&](int64_t index, void *const *inputs) {
      if (index < fullBatches)
        test->getBatch(index, inputs);
      else
        test->getBatchAt(test->numExamples() - batchSize, inputs);
    });
    for (int64_t index = 0; index < numBatches; ++index) {
      void *const *inputs = batches.take(index);
      if (index < fullBatches)
        result.loss += model.eval_loss(inputs);
      if (canPredict())
        correct += countCorrect(inputs, index < fullBatches ? 0 : batchSize - rest);
      batches.release(index);
    }
    result.lossExamples = fullBatches * batchSize;
    result.loss /= double(fullBatches);
    result.accuracy = NAN;
    if (canPredict()) {
      result.accuracyExamples = test->numExamples();
      result.accuracy = double(correct) / double(result.accuracyExamples);
    }
    if (model.train_view)
      model.train_view();
    return result;
  }

  /// How many of rows [firstRow, batch) of `inputs` are predicted right.
  int64_t countCorrect(void *const *inputs, int64_t firstRow) {
    model.predict(inputs, logits.data());
    int64_t correct = 0;
    for (int64_t row = firstRow; row < test->batchSize(); ++row)
      correct += argmax(row) == labelOf(inputs, row);
    return correct;
  }

  int64_t argmax(int64_t row) const {
    const float *scores = logits.data() + row * model.num_classes;
    int64_t best = 0;
    for (int64_t c = 1; c < model.num_classes; ++c)
      if (scores[c] > scores[best])
        best = c;
    return best;
  }

  int64_t labelOf(void *const *inputs, int64_t row) const {
    if (model.inputs[1].dtype == TGC_I32)
      return static_cast<const int32_t *>(inputs[1])[row];
    return static_cast<const int64_t *>(inputs[1])[row];
  }

  static std::string describe(const EvalResult &eval) {
    std::string text = format(", test loss %.4f", eval.loss);
    if (std::isnan(eval.accuracy))
      return text + format(" (%lld examples)", (long long)eval.lossExamples);
    if (eval.accuracyExamples != eval.lossExamples)
      text += format(" (%lld examples)", (long long)eval.lossExamples);
    return text + format(", test accuracy %.2f%% (%lld examples)", 100 * eval.accuracy,
                         (long long)eval.accuracyExamples);
  }

  bool canPredict() const { return model.predict && model.num_classes > 0; }

  int64_t runSteps() const { return step - startStep; }

  const tgc_model &model;
  const TrainOptions &options;
  ProgressLine progress;
  std::unique_ptr<Dataset> train, test;
  std::unique_ptr<BatchSets> trainSets, evalSets; // before the feed over them
  std::unique_ptr<BatchFeed> feed;                // the training steps'
  std::unique_ptr<MetricsFile> metrics;
  std::vector<float> logits;
  uint64_t seed = 0;
  int64_t step = 0, startStep = 0;
  int64_t stepsPerEpoch = 0, totalSteps = 0, totalEpochs = 0;
};

const char *programName(int argc, char **argv) {
  if (argc < 1 || !argv[0])
    return "train";
  const char *slash = std::strrchr(argv[0], '/');
  return slash ? slash + 1 : argv[0];
}

} // namespace
} // namespace tgc

extern "C" int tgc_train_main(int argc, char **argv, const tgc_model *model) {
  using namespace tgc;
  const char *program = programName(argc, argv);
  TrainOptions options;
  tgc_status status = catchErrors([&] { options = parseFlags(argc, argv); });
  if (status == TGC_OK && options.help) {
    std::printf(kUsage, program, model->name);
    return 0;
  }
  if (status == TGC_OK)
    status = catchErrors([&] { Trainer(*model, options).run(); });
  if (status == TGC_OK)
    return 0;
  std::fflush(stdout);
  std::fprintf(stderr, "%s: error: %s%s\n", program, tgc_last_error(),
               status == TGC_ERROR_ARGUMENT ? " (see --help)" : "");
  return status == TGC_ERROR_ARGUMENT ? 2 : 1;
}
