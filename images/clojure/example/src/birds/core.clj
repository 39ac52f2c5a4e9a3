(ns birds.core
  (:require [clojure.string :as string])
  (:gen-class))

(defn -main [& args]
  (let [birds (sort ["wren" "tit" "robin"])]
    (println (str (count birds) " birds: " (string/join ", " birds)))))
