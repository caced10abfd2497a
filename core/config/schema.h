#pragma once
// A recipe section describes its fields once, in describe(Schema&): name, a pointer to the member, a one-line doc
// and its valid range or choices. The YAML loader, the `key.path=value` overrides, the did-you-mean hints and the
// resolved-recipe writer are all driven by this one description (see recipe_yaml.cpp), so adding a field is one
// line and yaml-cpp stays confined to one file.
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <variant>
#include <vector>

namespace delrec::config {

// Inclusive numeric bounds; defaults accept any value.
struct Range {
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
};
inline Range at_least(double min) { return {min, std::numeric_limits<double>::infinity()}; }
inline Range between(double min, double max) { return {min, max}; }

class Schema;

struct Field {
  using Target = std::variant<int64_t*, double*, bool*, std::string*, std::vector<std::string>*,
                              std::vector<int64_t>*, std::vector<double>*>;
  std::string name;
  std::string doc;
  Target target;                       // unused for sections
  Range range;                         // numeric fields and the elements of numeric lists
  std::vector<std::string> choices;    // non-empty: a string (or each string of a list) must be one of these
  std::shared_ptr<Schema> section;     // non-null: a nested section
};

class Schema {
 public:
  void field(const std::string& name, int64_t& v, const std::string& doc, Range r = {}) { add(name, &v, doc, r); }
  void field(const std::string& name, double& v, const std::string& doc, Range r = {}) { add(name, &v, doc, r); }
  void field(const std::string& name, bool& v, const std::string& doc) { add(name, &v, doc, {}); }
  void field(const std::string& name, std::string& v, const std::string& doc) { add(name, &v, doc, {}); }
  void field(const std::string& name, std::vector<std::string>& v, const std::string& doc) {
    add(name, &v, doc, {});
  }
  void field(const std::string& name, std::vector<int64_t>& v, const std::string& doc, Range r = {}) {
    add(name, &v, doc, r);
  }
  void field(const std::string& name, std::vector<double>& v, const std::string& doc, Range r = {}) {
    add(name, &v, doc, r);
  }
  // A string restricted to `choices` (e.g. the dataset name).
  void choice(const std::string& name, std::string& v, std::vector<std::string> choices, const std::string& doc) {
    add(name, &v, doc, {});
    fields_.back().choices = std::move(choices);
  }
  // A list of strings, each one of `choices` (e.g. signal names).
  void choice_list(const std::string& name, std::vector<std::string>& v, std::vector<std::string> choices,
                   const std::string& doc) {
    add(name, &v, doc, {});
    fields_.back().choices = std::move(choices);
  }
  // A nested section: any struct with `void describe(Schema&)`.
  template <class Section>
  void section(const std::string& name, Section& s, const std::string& doc) {
    auto sub = std::make_shared<Schema>();
    s.describe(*sub);
    Field f;
    f.name = name;
    f.doc = doc;
    f.section = std::move(sub);
    fields_.push_back(std::move(f));
  }

  const std::vector<Field>& fields() const { return fields_; }
  const Field* find(const std::string& name) const {
    for (const auto& f : fields_)
      if (f.name == name) return &f;
    return nullptr;
  }

 private:
  void add(const std::string& name, Field::Target target, const std::string& doc, Range r) {
    Field f;
    f.name = name;
    f.doc = doc;
    f.target = target;
    f.range = r;
    fields_.push_back(std::move(f));
  }
  std::vector<Field> fields_;
};

}  // namespace delrec::config
