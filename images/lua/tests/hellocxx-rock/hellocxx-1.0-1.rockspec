package = "hellocxx"
version = "1.0-1"
source = { url = "." }
description = { summary = "A C++ module that answers 42", license = "MIT" }
dependencies = {}
build = {
  type = "builtin",
  modules = { hellocxx = { sources = { "hellocxx.cpp" }, libraries = { "stdc++" } } },
}
