# GUI smoke test: the real app under Xvfb (Mesa software GL) renders frames of a two-run lesson while both
# runs train, writes a screenshot and an MP4, and exits. Also: without a display it explains what to do.
file(REMOVE_RECURSE ${OUT})
file(MAKE_DIRECTORY ${OUT})
execute_process(
  COMMAND ${XVFB_RUN} -a -s "-screen 0 1600x1000x24" ${DREAMLAB} gui --frames 90 --lesson qlearning-vs-sarsa --play
          --screenshot ${OUT}/shot.png --record ${OUT}/rec.mp4 --size 1600x960
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 240)
message("${out}${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "GUI exited with ${rc}")
endif()
foreach(f shot.png rec.mp4)
  if(NOT EXISTS ${OUT}/${f})
    message(FATAL_ERROR "GUI did not write ${f}")
  endif()
  file(SIZE ${OUT}/${f} size)
  if(size LESS 20000)
    message(FATAL_ERROR "${f} is suspiciously small (${size} bytes)")
  endif()
endforeach()
# The deep-learning views: CartPole with its value and policy maps, a pixel game with Q-value bars and saliency,
# world-model learners: the dream beside reality on CartPole, Breakout pixels and the lake; Pendulum's maps and π(a | s).
foreach(preset cartpole-ppo breakout-dqn cartpole-dream breakout-dream lake-dream pendulum-sac pendulum-ppo mountaincar-exploration)
  execute_process(
    COMMAND ${XVFB_RUN} -a -s "-screen 0 1600x1000x24" ${DREAMLAB} gui --frames 60 --lesson ${preset}
            --screenshot ${OUT}/${preset}.png --size 1600x960
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 240)
  message("${out}${err}")
  if(NOT rc EQUAL 0 OR NOT EXISTS ${OUT}/${preset}.png)
    message(FATAL_ERROR "GUI on ${preset} exited with ${rc} or wrote no screenshot")
  endif()
  file(SIZE ${OUT}/${preset}.png size)
  if(size LESS 20000)
    message(FATAL_ERROR "${preset}.png is suspiciously small (${size} bytes)")
  endif()
  if(NOT out MATCHES "env steps")
    message(FATAL_ERROR "GUI on ${preset} did not report its run")
  endif()
  list(APPEND shots ${OUT}/${preset}.png)
endforeach()
# The gradient-estimator concept panel (no runs): histograms and variance curves computed in the background.
execute_process(
  COMMAND ${XVFB_RUN} -a -s "-screen 0 1600x1000x24" ${DREAMLAB} gui --frames 60 --lesson gradient-estimators
          --screenshot ${OUT}/gradient-estimators.png --size 1600x960
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 240)
message("${out}${err}")
if(NOT rc EQUAL 0 OR NOT EXISTS ${OUT}/gradient-estimators.png)
  message(FATAL_ERROR "GUI on gradient-estimators exited with ${rc} or wrote no screenshot")
endif()
file(SIZE ${OUT}/gradient-estimators.png size)
if(size LESS 20000)
  message(FATAL_ERROR "gradient-estimators.png is suspiciously small (${size} bytes)")
endif()
# The sweep lesson: its sweep runs on the window's worker threads into sweeps/hyperparameter-sweep/ (in OUT) while the
# explorer draws the heatmap, the sensitivity plot and the curves as trials finish. 150 frames: some trials are done.
execute_process(
  COMMAND ${XVFB_RUN} -a -s "-screen 0 1600x1000x24" ${DREAMLAB} gui --frames 150 --lesson hyperparameter-sweep
          --screenshot ${OUT}/hyperparameter-sweep.png --size 1600x960
  WORKING_DIRECTORY ${OUT} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 240)
message("${out}${err}")
if(NOT rc EQUAL 0 OR NOT EXISTS ${OUT}/hyperparameter-sweep.png OR NOT EXISTS ${OUT}/sweeps/hyperparameter-sweep/sweep.json)
  message(FATAL_ERROR "GUI on the sweep lesson exited with ${rc}, or wrote no screenshot or no sweep directory")
endif()
file(GLOB done_trials ${OUT}/sweeps/hyperparameter-sweep/trials/c*/config.json)
list(LENGTH done_trials n_done)
if(n_done LESS 1)
  message(FATAL_ERROR "the sweep lesson finished no trial in 150 frames")
endif()
list(APPEND shots ${OUT}/hyperparameter-sweep.png)
# A bad sweep directory is refused before any window opens.
execute_process(COMMAND ${DREAMLAB} gui --sweep ${OUT}/no-such-sweep RESULT_VARIABLE rc5 ERROR_VARIABLE err5 OUTPUT_QUIET)
if(NOT rc5 EQUAL 2 OR NOT err5 MATCHES "not a sweep directory")
  message(FATAL_ERROR "gui --sweep of a missing directory should exit 2 saying so; got ${rc5}: ${err5}")
endif()
# The screenshot must not be a blank frame: PNG of a uniform picture compresses to almost nothing.
execute_process(COMMAND ${CMAKE_COMMAND} -E env --unset=DISPLAY --unset=WAYLAND_DISPLAY ${DREAMLAB} gui
                RESULT_VARIABLE rc2 ERROR_VARIABLE err2 OUTPUT_QUIET)
if(rc2 EQUAL 0 OR NOT err2 MATCHES "xvfb-run")
  message(FATAL_ERROR "without a display the GUI should fail with a hint to xvfb-run; got ${rc2}: ${err2}")
endif()
# A bad lesson file is refused before any window opens, naming the file, the line and the field.
file(WRITE ${OUT}/bad.toml "title = \"bad\"\n[[runs]]\nenv.id = \"FrozenLake-v1\"\nalgo.id = \"q_learning\"\nalgo.args.alpha = 7\n")
execute_process(COMMAND ${DREAMLAB} gui --lesson ${OUT}/bad.toml RESULT_VARIABLE rc3 ERROR_VARIABLE err3 OUTPUT_QUIET)
if(NOT rc3 EQUAL 2 OR NOT err3 MATCHES "bad.toml:5: runs\\[0\\].algo.args.alpha: .*alpha=7")
  message(FATAL_ERROR "a bad lesson should exit 2 naming file:line and the field; got ${rc3}: ${err3}")
endif()
# Option values are whole values: trailing junk, a fraction for a count, an empty value are refused (exit 2, naming them).
foreach(bad "--size;800x600junk;--size=800x600junk" "--size;800x;--size=800x" "--frames;2.5;--frames=2.5"
            "--font-scale;2x;--font-scale=2x")
  list(GET bad 0 opt)
  list(GET bad 1 val)
  list(GET bad 2 want)
  execute_process(COMMAND ${DREAMLAB} gui ${opt} "${val}" RESULT_VARIABLE rc4 ERROR_VARIABLE err4 OUTPUT_QUIET)
  string(FIND "${err4}" "${want} is not allowed" at)
  if(NOT rc4 EQUAL 2 OR at EQUAL -1)
    message(FATAL_ERROR "gui ${opt} '${val}' should exit 2 saying '${want} is not allowed'; got ${rc4}: ${err4}")
  endif()
endforeach()
# No panel of any screenshot may be blank (tests/check_shot.cpp: content and colour counts inside each panel).
list(APPEND shots ${OUT}/shot.png ${OUT}/gradient-estimators.png)
foreach(shot ${shots})
  execute_process(COMMAND ${CHECK_SHOT} ${shot} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  message("${shot}:\n${out}${err}")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "a panel of ${shot} is blank")
  endif()
endforeach()
