(defn uid []
  ;; not slurp: its buffered stream asks /proc for available(), which some sandboxes refuse
  (some #(second (re-find #"^Uid:\s+(\d+)" %))
        (java.nio.file.Files/readAllLines (java.nio.file.Paths/get "/proc/self/status" (into-array String [])))))

(println (str "hello from clojure as uid " (uid)))
