;;; emacs_smoke.el --- Emacs with eglot as the editor: open a file, start torchbridge's
;;; server, wait for the diagnostics (flymake), apply the quick fix by its kind, save.
;;; What happened goes to SMOKE_OUT, one line per event. -*- lexical-binding: t -*-
(require 'eglot)
(defvar smoke-out (getenv "SMOKE_OUT"))
(defun smoke-say (event value)
  (with-temp-buffer
    (insert (format "%s\t%S\n" event value))
    (append-to-file (point-min) (point-max) smoke-out)))
(defun smoke-wait (pred secs)
  (let ((deadline (+ (float-time) secs)))
    (while (and (not (funcall pred)) (< (float-time) deadline))
      (accept-process-output nil 0.1))
    (funcall pred)))
(add-to-list 'eglot-server-programs `((python-mode) . (,(getenv "SMOKE_PYTHON") "-m" "torchbridge" "server")))
(find-file (getenv "SMOKE_FILE"))
(python-mode)
(eglot-ensure)
(run-hooks 'post-command-hook)  ; eglot-ensure connects from the next command loop
(smoke-wait (lambda () (eglot-current-server)) 60)
(smoke-wait (lambda () (flymake-diagnostics)) 60)
(smoke-say "diagnostics" (mapcar (lambda (d) (line-number-at-pos (flymake-diagnostic-beg d))) (flymake-diagnostics)))
(goto-char (flymake-diagnostic-beg (car (flymake-diagnostics))))
(eglot-code-actions (point) (1+ (point)) "quickfix.torchbridge" t)
(save-buffer)
(smoke-say "saved" t)
(eglot-shutdown (eglot-current-server))
(kill-emacs 0)
