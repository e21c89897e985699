// The names settings are spelled with, one table per enum: the core parses them from
// these tables and the binding exports them, so Python validates against the same list
// (fastntk.config reads _core.OPTIMIZERS, _core.MODELS, …).
#pragma once
#include <cstddef>
#include <stdexcept>
#include <string>

namespace fastntk {

template <class E>
struct Named {
  const char* name;
  E value;
};

// The value named `s` in `table`; else invalid_argument "what: expected 'a', 'b' or 'c', got 's'".
template <class E, std::size_t N>
E parse_named(const Named<E> (&table)[N], const std::string& s, const char* what) {
  for (const auto& entry : table)
    if (s == entry.name) return entry.value;
  std::string list;
  for (std::size_t i = 0; i < N; ++i)
    list += (i == 0 ? "'" : i + 1 == N ? " or '" : ", '") + std::string(table[i].name) + "'";
  throw std::invalid_argument(std::string(what) + ": expected " + list + ", got '" + s + "'");
}

// The first name of `value` in `table`.
template <class E, std::size_t N>
std::string name_of(const Named<E> (&table)[N], E value) {
  for (const auto& entry : table)
    if (entry.value == value) return entry.name;
  return "?";
}

}  // namespace fastntk
