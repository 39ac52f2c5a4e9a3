(defn uid []
  (second (re-find #"Uid:\s+(\d+)" (slurp "/proc/self/status"))))

(println (str "hello from clojure as uid " (uid)))
