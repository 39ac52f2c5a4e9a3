(ns hello.core
  (:require [clojure.spec.alpha :as s]
            [clojure.string :as str])
  (:gen-class))

(s/def ::word (s/and string? #(re-matches #"[a-z]+" %)))

(defn uid []
  (second (re-find #"Uid:\s+(\d+)" (slurp "/proc/self/status"))))

(defn -main [& _]
  (println (str "hello from aot-compiled clojure as uid " (uid)
                ", spec " (if (s/valid? ::word "birdhouse") "ok" "BAD")
                ", " (str/join "+" (map inc [1 2 3])))))
