#pragma once
// TensorBoard Event messages to and from bytes (event.proto, through protobuf-lite). No protobuf type crosses this
// header: its implementation is compiled apart from LibTorch, whose include directory carries an older protobuf's
// headers that would shadow the system's (core/CMakeLists.txt).
#include <cstdint>
#include <string>

namespace delrec::tensorboard {

std::string file_version_event(double wall_time);  // "brain.Event:2", the first record of every file
std::string scalar_event(double wall_time, int64_t step, const std::string& tag, float value);
// A text summary (TensorBoard's text dashboard renders it as Markdown).
std::string text_event(double wall_time, int64_t step, const std::string& tag, const std::string& text);

struct EventStep {
  bool has_summary = false;  // false for the file-version event
  int64_t step = 0;
};
// The step of a serialized Event; an Error when `bytes` is not one.
EventStep event_step(const std::string& bytes, const std::string& origin);

}  // namespace delrec::tensorboard
