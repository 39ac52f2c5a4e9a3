(ns hello.core
  (:require [clojure.spec.alpha :as s]
            [clojure.string :as str])
  (:gen-class))

(s/def ::word (s/and string? #(re-matches #"[a-z]+" %)))

(defn uid []
  ;; not slurp: its buffered stream asks /proc for available(), which some sandboxes refuse
  (some #(second (re-find #"^Uid:\s+(\d+)" %))
        (java.nio.file.Files/readAllLines (java.nio.file.Paths/get "/proc/self/status" (into-array String [])))))

(defn -main [& _]
  (println (str "hello from aot-compiled clojure as uid " (uid)
                ", spec " (if (s/valid? ::word "birdhouse") "ok" "BAD")
                ", " (str/join "+" (map inc [1 2 3])))))
